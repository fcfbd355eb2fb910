package medallion

import (
	"database/sql/driver"
	"fmt"
	"sort"
	"strings"

	"github.com/auditlake/auditlake/internal/auditlog"
	"github.com/auditlake/auditlake/internal/store"
)

// Catalog is the set of services and request-param keys seen in silver, i.e. the schema of
// the gold views. It lives in meta.services and meta.param_keys; new entries are collected while
// events are appended and written, with the views they change, by Commit in the same
// transaction. Not safe for concurrent use (the single writer owns it).
type Catalog struct {
	keys       map[string]map[string]bool // service -> key -> committed
	newService map[string]bool
	newKeys    map[string][]string
}

// LoadCatalog reads the catalog inside tx.
func LoadCatalog(tx *store.Tx) (*Catalog, error) {
	c := &Catalog{keys: map[string]map[string]bool{}}
	c.reset()
	err := tx.Query("SELECT service_name FROM meta.services", nil, func(row []driver.Value) error {
		c.keys[row[0].(string)] = map[string]bool{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading meta.services: %w", err)
	}
	err = tx.Query("SELECT service_name, key FROM meta.param_keys", nil, func(row []driver.Value) error {
		s := row[0].(string)
		if c.keys[s] == nil {
			c.keys[s] = map[string]bool{}
		}
		c.keys[s][row[1].(string)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading meta.param_keys: %w", err)
	}
	return c, nil
}

func (c *Catalog) reset() {
	c.newService = map[string]bool{}
	c.newKeys = map[string][]string{}
}

func (c *Catalog) observe(ev *auditlog.Event) {
	ks := c.service(ev.ServiceName)
	for _, p := range ev.Params {
		c.key(ev.ServiceName, ks, p.Key)
	}
}

// observeKeys is observe for a batch's services and keys.
func (c *Catalog) observeKeys(k KeySet) {
	for svc, keys := range k {
		ks := c.service(svc)
		for key := range keys {
			c.key(svc, ks, key)
		}
	}
}

// service returns the known keys of svc, recording svc as new when it is.
func (c *Catalog) service(svc string) map[string]bool {
	ks := c.keys[svc]
	if ks == nil {
		ks = map[string]bool{}
		c.keys[svc] = ks
		c.newService[svc] = true
	}
	return ks
}

// key records key of svc (whose known keys are ks) as new when it is.
func (c *Catalog) key(svc string, ks map[string]bool, key string) {
	if _, ok := ks[key]; !ok {
		ks[key] = false
		c.newKeys[svc] = append(c.newKeys[svc], key)
	}
}

// Rollback forgets what was observed since the last Commit (the transaction did not commit).
func (c *Catalog) Rollback() {
	for s := range c.newService {
		delete(c.keys, s)
	}
	for s, ks := range c.newKeys {
		for _, k := range ks {
			delete(c.keys[s], k)
		}
	}
	c.reset()
}

// Commit records new services and keys and recreates the gold views whose schema changed.
func (c *Catalog) Commit(tx *store.Tx) error {
	changed := map[string]bool{}
	for s := range c.newService {
		if err := tx.Exec("INSERT INTO meta.services VALUES (?)", s); err != nil {
			return err
		}
		changed[GoldName(s)] = true
	}
	for s, ks := range c.newKeys {
		for _, k := range ks {
			if err := tx.Exec("INSERT INTO meta.param_keys VALUES (?, ?)", s, k); err != nil {
				return err
			}
			c.keys[s][k] = true
		}
		changed[GoldName(s)] = true
	}
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tx.Exec(c.goldViewSQL(n)); err != nil {
			return fmt.Errorf("creating view gold.%s: %w", n, err)
		}
	}
	c.reset()
	return nil
}

// GoldViews returns the gold view names, sorted.
func (c *Catalog) GoldViews() []string {
	set := map[string]bool{}
	for s := range c.keys {
		set[GoldName(s)] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// commonColumns are silver's columns other than request_params, in silver's order.
const commonColumnsHead = `event_time, event_date, workspace_id, account_id, version, service_name, action_name, user_identity, source_ip_address, user_agent, session_id, request_id`
const commonColumnsTail = `response, audit_level, event_id, identity_metadata, email, source_format, source_file, ingested_at`

// goldViewSQL builds gold.<name>: silver's rows of the services with that snake name, with
// request_params as a STRUCT of every key seen. Keys that differ only in case (dataSourceId,
// DataSourceId) are one field, because DuckDB field names are case-insensitive; it takes the
// first non-null of the variants in byte order and is named after the first variant. Fields are
// sorted, so the schema does not depend on the order in which files arrived.
func (c *Catalog) goldViewSQL(name string) string {
	var services []string
	groups := map[string][]string{}
	for s, ks := range c.keys {
		if GoldName(s) != name {
			continue
		}
		services = append(services, s)
		for k := range ks {
			lk := strings.ToLower(k)
			if !contains(groups[lk], k) {
				groups[lk] = append(groups[lk], k)
			}
		}
	}
	sort.Strings(services)
	lower := make([]string, 0, len(groups))
	for lk, vs := range groups {
		sort.Strings(vs)
		lower = append(lower, lk)
	}
	sort.Strings(lower)

	var b strings.Builder
	b.WriteString("CREATE OR REPLACE VIEW gold.")
	b.WriteString(store.QuoteIdent(name))
	b.WriteString(" AS SELECT ")
	b.WriteString(commonColumnsHead)
	if len(lower) == 0 {
		b.WriteString(", request_params")
	} else {
		b.WriteString(", struct_pack(")
		for i, lk := range lower {
			vs := groups[lk]
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(store.QuoteIdent(vs[0]))
			b.WriteString(" := ")
			if len(vs) > 1 {
				b.WriteString("coalesce(")
			}
			for j, k := range vs {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("request_params[")
				b.WriteString(store.QuoteLiteral(k))
				b.WriteString("]")
			}
			if len(vs) > 1 {
				b.WriteString(")")
			}
		}
		b.WriteString(") AS request_params")
	}
	b.WriteString(", ")
	b.WriteString(commonColumnsTail)
	b.WriteString(" FROM silver.audit WHERE service_name IN (")
	for i, s := range services {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(store.QuoteLiteral(s))
	}
	b.WriteString(")")
	return b.String()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
