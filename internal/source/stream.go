package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Message is one record of a stream partition.
type Message struct {
	Partition int32
	Offset    int64
	Value     []byte
	Time      time.Time // the record's timestamp (producer or broker time)
}

// StreamOptions configure OpenStream.
type StreamOptions struct {
	// Getenv reads the environment variables that hold secrets. Default os.Getenv.
	Getenv func(string) string
	// Logger receives the Kafka client's warnings. Default: discard.
	Logger *slog.Logger
	// ClientID is the Kafka client id. Default "auditlake".
	ClientID string
}

// Stream is one Kafka topic, or one Azure Event Hub through its Kafka endpoint, read from
// every partition at offsets the caller keeps (ingest keeps them in the database, next to the
// rows). It does not join a consumer group: the group named in the URL only receives the
// caller's offsets (Publish) so that the usual tools show the consumer's lag.
//
// Poll is called by one goroutine; Ends and Publish may run concurrently with it.
type Stream struct {
	cl      *kgo.Client
	adm     *kadm.Client
	scheme  string // kafka | eventhubs
	display string // the URL without secrets or options
	cluster string // cluster id (Kafka) or namespace host (Event Hubs)
	topic   string
	group   string
	start   kgo.Offset
	atEnd   bool
	secret  string // redacted from every error
	sasl    bool

	mu        sync.Mutex
	consuming map[int32]bool
	from      map[int32]int64 // offsets given to Consume
	refreshed time.Time
	closeOnce sync.Once
}

// IsStream reports whether src names a stream (kafka:// or eventhubs://) rather than a bucket.
func IsStream(src string) bool {
	return strings.HasPrefix(src, "kafka://") || strings.HasPrefix(src, "eventhubs://")
}

// DefaultConnectionStringEnv is the environment variable an eventhubs:// source reads its
// connection string from when the URL names none.
const DefaultConnectionStringEnv = "AUDITLAKE_EVENTHUBS_CONNECTION_STRING"

// OpenStream connects to a stream given as a URL and reads the topic's metadata, so that a
// wrong address, credential or topic is reported here:
//
//	kafka://broker1:9092,broker2:9092/topic?group=auditlake&start=earliest
//	kafka://broker:9093/topic?tls=true&ca_file=/etc/ssl/kafka-ca.pem&sasl=scram-sha-512&user=auditlake&password_env=KAFKA_PASSWORD
//	eventhubs://<namespace>.servicebus.windows.net/<hub>?connection_string_env=EVENTHUB_CONN&group=$Default
//
// Kafka options: group (where offsets are published for monitoring; default auditlake), start
// (earliest or latest: where a partition without stored offsets begins; default earliest),
// tls=true, ca_file, sasl (plain, scram-sha-256, scram-sha-512) with user and password_env or
// password_file. Passwords are never taken from the URL itself.
//
// Event Hubs: TLS and SASL PLAIN with the namespace's connection string (user
// $ConnectionString), read from the environment variable connection_string_env (default
// AUDITLAKE_EVENTHUBS_CONNECTION_STRING) or the file connection_string_file. The port
// defaults to 9093; the namespace and hub default to the connection string's Endpoint and
// EntityPath. group defaults to $Default.
func OpenStream(ctx context.Context, src string, opts StreamOptions) (*Stream, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ClientID == "" {
		opts.ClientID = "auditlake"
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("stream source: %w", redactURLError(err))
	}
	s := &Stream{scheme: u.Scheme, consuming: map[int32]bool{}}
	cfg, err := s.configure(u, opts)
	if err != nil {
		return nil, fmt.Errorf("stream source %s: %w", s.display, err)
	}
	cl, err := kgo.NewClient(cfg...)
	if err != nil {
		return nil, fmt.Errorf("stream source %s: %w", s.display, s.redact(err))
	}
	s.cl, s.adm = cl, kadm.NewClient(cl)
	if err := s.describe(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return s, nil
}

// configure validates the URL and returns the client options.
func (s *Stream) configure(u *url.URL, opts StreamOptions) ([]kgo.Opt, error) {
	q := u.Query()
	s.topic = strings.Trim(u.Path, "/")
	s.display = u.Scheme + "://" + u.Host + "/" + s.topic
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return nil, errors.New("the URL holds a password: give it through password_env=NAME or password_file=PATH")
		}
	}
	for _, k := range []string{"password", "connection_string", "sasl_password"} {
		if q.Has(k) {
			return nil, fmt.Errorf("option %s would put a secret in the URL: use %s_env=NAME or %s_file=PATH", k, k, k)
		}
	}
	var known map[string]bool
	var hosts []string
	var useTLS bool
	var mech sasl.Mechanism
	switch u.Scheme {
	case "kafka":
		known = map[string]bool{"group": true, "start": true, "tls": true, "ca_file": true, "sasl": true, "user": true, "password_env": true, "password_file": true, "client_id": true}
		if u.Host == "" {
			return nil, errors.New("no broker address (kafka://host:port[,host:port]/topic)")
		}
		for _, h := range strings.Split(u.Host, ",") {
			if h == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(h); err != nil {
				h = net.JoinHostPort(h, "9092")
			}
			hosts = append(hosts, h)
		}
		s.group = "auditlake"
		switch v := q.Get("tls"); v {
		case "", "false":
		case "true":
			useTLS = true
		default:
			return nil, fmt.Errorf("tls=%q: use true or false", v)
		}
		user := q.Get("user")
		if user == "" && u.User != nil {
			user = u.User.Username()
		}
		if m := q.Get("sasl"); m != "" {
			pass, err := readSecret(q, "password", opts.Getenv, "")
			if err != nil {
				return nil, err
			}
			if user == "" {
				return nil, fmt.Errorf("sasl=%s needs user=NAME", m)
			}
			s.secret = pass
			switch strings.ToLower(m) {
			case "plain":
				mech = plain.Auth{User: user, Pass: pass}.AsMechanism()
			case "scram-sha-256":
				mech = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
			case "scram-sha-512":
				mech = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
			default:
				return nil, fmt.Errorf("sasl=%q: use plain, scram-sha-256 or scram-sha-512", m)
			}
		}
	case "eventhubs":
		known = map[string]bool{"group": true, "start": true, "ca_file": true, "connection_string_env": true, "connection_string_file": true, "client_id": true}
		conn, err := readSecret(q, "connection_string", opts.Getenv, DefaultConnectionStringEnv)
		if err != nil {
			return nil, err
		}
		endpoint, entity, err := parseConnectionString(conn)
		if err != nil {
			return nil, err
		}
		host := u.Host
		if host == "" {
			host = endpoint
		}
		if s.topic == "" {
			s.topic = entity
		}
		if host == "" {
			return nil, errors.New("no namespace: use eventhubs://<namespace>.servicebus.windows.net/<hub> or a connection string with an Endpoint")
		}
		s.display = "eventhubs://" + host + "/" + s.topic
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(host, "9093")
		}
		hosts = []string{host}
		s.cluster = u.Host
		if s.cluster == "" {
			s.cluster = endpoint
		}
		s.group = "$Default"
		s.secret = conn
		useTLS = true
		mech = plain.Auth{User: "$ConnectionString", Pass: conn}.AsMechanism()
	default:
		return nil, fmt.Errorf("scheme %q is not a stream (use kafka:// or eventhubs://)", u.Scheme)
	}
	for k := range q {
		if !known[k] {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("unknown option %q (known: %s)", k, strings.Join(names, ", "))
		}
	}
	if s.topic == "" || strings.Contains(s.topic, "/") {
		return nil, fmt.Errorf("topic %q: give exactly one topic as the URL path", s.topic)
	}
	if q.Has("group") {
		s.group = q.Get("group")
	}
	switch v := q.Get("start"); v {
	case "", "earliest":
		s.start = kgo.NewOffset().AtStart()
	case "latest":
		s.start, s.atEnd = kgo.NewOffset().AtEnd(), true
	default:
		return nil, fmt.Errorf("start=%q: use earliest or latest", v)
	}
	if id := q.Get("client_id"); id != "" {
		opts.ClientID = id
	}
	cfg := []kgo.Opt{
		kgo.SeedBrokers(hosts...),
		kgo.ClientID(opts.ClientID),
		kgo.WithLogger(kafkaLogger{opts.Logger}),
		kgo.ConsumeResetOffset(s.start),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	if useTLS || q.Has("ca_file") {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if f := q.Get("ca_file"); f != "" {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", f)
			}
			tc.RootCAs = pool
		}
		cfg = append(cfg, kgo.DialTLSConfig(tc))
	}
	if mech != nil {
		s.sasl = true
		cfg = append(cfg, kgo.SASL(mech))
	}
	return cfg, nil
}

// readSecret reads option name's secret from name_env=VAR, name_file=PATH or, when neither
// is given and defEnv is set, from the variable defEnv.
func readSecret(q url.Values, name string, getenv func(string) string, defEnv string) (string, error) {
	env, file := q.Get(name+"_env"), q.Get(name+"_file")
	switch {
	case env != "" && file != "":
		return "", fmt.Errorf("give %s_env or %s_file, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", name, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s_file %s is empty", name, file)
		}
		return v, nil
	case env == "" && defEnv == "":
		return "", fmt.Errorf("no %s: give %s_env=NAME or %s_file=PATH", name, name, name)
	case env == "":
		env = defEnv
	}
	v := strings.TrimSpace(getenv(env))
	if v == "" {
		return "", fmt.Errorf("environment variable %s is empty (it must hold the %s)", env, strings.ReplaceAll(name, "_", " "))
	}
	return v, nil
}

// parseConnectionString returns the namespace host and the entity path of an Event Hubs
// connection string (Endpoint=sb://<ns>.servicebus.windows.net/;SharedAccessKeyName=...;
// SharedAccessKey=...[;EntityPath=<hub>]). Its errors never quote the string.
func parseConnectionString(conn string) (host, entity string, err error) {
	var haveKey bool
	for _, part := range strings.Split(conn, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "endpoint":
			eu, perr := url.Parse(v)
			if perr != nil || eu.Host == "" {
				return "", "", errors.New("the connection string's Endpoint is not a URL like sb://<namespace>.servicebus.windows.net/")
			}
			host = eu.Host
		case "entitypath":
			entity = v
		case "sharedaccesskey", "sharedaccesssignature":
			haveKey = true
		}
	}
	if host == "" || !haveKey {
		return "", "", errors.New("the connection string lacks Endpoint or SharedAccessKey (copy it from the namespace's or the hub's Shared access policies)")
	}
	return host, entity, nil
}

// describe reads the cluster id and the topic's partitions.
func (s *Stream) describe(ctx context.Context) error {
	md, err := s.adm.Metadata(ctx, s.topic)
	if err != nil {
		if s.sasl && errors.Is(err, io.EOF) {
			// Some brokers (and kfake) close the connection instead of answering a failed
			// authentication.
			return fmt.Errorf("connecting to %s: the broker closed the connection during authentication (check the credentials or the connection string): %w", s.display, s.explain(err))
		}
		return fmt.Errorf("connecting to %s: %w", s.display, s.explain(err))
	}
	if s.cluster == "" {
		s.cluster = md.Cluster
		if s.cluster == "" {
			s.cluster = strings.Split(strings.TrimPrefix(s.display, "kafka://"), "/")[0]
		}
	}
	td, ok := md.Topics[s.topic]
	if !ok {
		return fmt.Errorf("%s: topic %q not found", s.display, s.topic)
	}
	if td.Err != nil {
		return fmt.Errorf("%s: topic %q: %w", s.display, s.topic, s.explain(td.Err))
	}
	if len(td.Partitions) == 0 {
		return fmt.Errorf("%s: topic %q has no partitions", s.display, s.topic)
	}
	return nil
}

// explain puts what the operator can do in front of a Kafka error and removes secrets.
func (s *Stream) explain(err error) error {
	err = s.redact(err)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState), errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("authentication failed (check the user, the password or the connection string): %w", err)
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.GroupAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed):
		return fmt.Errorf("permission denied (check the ACLs of the user): %w", err)
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("topic %q not found: %w", s.topic, err)
	}
	return err
}

// IsPermanentStreamError reports whether a stream error will not go away by retrying.
func IsPermanentStreamError(err error) bool {
	for _, e := range []error{kerr.SaslAuthenticationFailed, kerr.IllegalSaslState, kerr.UnsupportedSaslMechanism,
		kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// redact replaces the secret in an error's text.
func (s *Stream) redact(err error) error {
	if err == nil || s.secret == "" || !strings.Contains(err.Error(), s.secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), s.secret, "[REDACTED]"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("the URL does not parse: " + ue.Err.Error())
	}
	return err
}

// String is the stream's location, without options or secrets.
func (s *Stream) String() string { return s.display }

// ID names the stream independently of how it is reached: scheme://<cluster id or
// namespace>/<topic>. Offsets and ledger paths are keyed by it, so a changed broker list or a
// renamed source keeps its place.
func (s *Stream) ID() string { return s.scheme + "://" + s.cluster + "/" + s.topic }

// Topic is the topic (or event hub) read.
func (s *Stream) Topic() string { return s.topic }

// StartsAtEnd reports whether partitions without stored offsets begin at their end
// (start=latest) rather than at their earliest record.
func (s *Stream) StartsAtEnd() bool { return s.atEnd }

// Group is the consumer group offsets are published to ("" for none).
func (s *Stream) Group() string { return s.group }

// Consume starts reading every partition of the topic: a partition in from at that offset
// (the first offset not yet stored), the others at the URL's start (earliest by default).
// Calling it again moves every partition back to the offsets given, dropping what was
// fetched but not handed out; ingest does that after a failed commit.
func (s *Stream) Consume(ctx context.Context, from map[int32]int64) error {
	parts, err := s.partitions(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.consuming) > 0 {
		ps := make([]int32, 0, len(s.consuming))
		for p := range s.consuming {
			ps = append(ps, p)
		}
		s.cl.RemoveConsumePartitions(map[string][]int32{s.topic: ps})
		s.consuming = map[int32]bool{}
	}
	s.from = map[int32]int64{}
	for p, o := range from {
		s.from[p] = o
	}
	s.addLocked(parts)
	s.refreshed = time.Now()
	return nil
}

func (s *Stream) addLocked(parts []int32) {
	add := map[int32]kgo.Offset{}
	for _, p := range parts {
		if s.consuming[p] {
			continue
		}
		if o, ok := s.from[p]; ok {
			add[p] = kgo.NewOffset().At(o)
		} else {
			add[p] = s.start
		}
		s.consuming[p] = true
	}
	if len(add) > 0 {
		s.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{s.topic: add})
	}
}

func (s *Stream) partitions(ctx context.Context) ([]int32, error) {
	md, err := s.adm.Metadata(ctx, s.topic)
	if err != nil {
		return nil, fmt.Errorf("reading partitions of %s: %w", s.display, s.explain(err))
	}
	td, ok := md.Topics[s.topic]
	if !ok {
		return nil, fmt.Errorf("%s: topic %q not found", s.display, s.topic)
	}
	if td.Err != nil {
		return nil, fmt.Errorf("%s: topic %q: %w", s.display, s.topic, s.explain(td.Err))
	}
	return td.Partitions.Numbers(), nil
}

// partitionRefresh is how often Poll looks for partitions added to the topic.
const partitionRefresh = time.Minute

// Poll waits until messages are fetched or ctx ends, and returns at most max of them (all
// buffered ones when max <= 0), in offset order per partition. A canceled ctx returns
// ctx.Err(); other errors are the broker's (authentication, permissions) and Poll may be
// called again after them.
func (s *Stream) Poll(ctx context.Context, max int) ([]Message, error) {
	s.mu.Lock()
	refresh := time.Since(s.refreshed) >= partitionRefresh
	s.mu.Unlock()
	if refresh {
		if parts, err := s.partitions(ctx); err == nil {
			s.mu.Lock()
			s.addLocked(parts)
			s.refreshed = time.Now()
			s.mu.Unlock()
		}
	}
	fs := s.cl.PollRecords(ctx, max)
	if fs.IsClientClosed() {
		return nil, errors.New("stream: closed")
	}
	var errs []error
	fs.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		errs = append(errs, fmt.Errorf("partition %d: %w", p, s.explain(err)))
	})
	var out []Message
	fs.EachRecord(func(r *kgo.Record) {
		out = append(out, Message{Partition: r.Partition, Offset: r.Offset, Value: r.Value, Time: r.Timestamp})
	})
	if len(out) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("fetching from %s: %w", s.display, errors.Join(errs...))
		}
	}
	return out, nil
}

// Publish commits next (per partition, the first offset not yet stored) to the URL's
// consumer group, so that Kafka tools and Azure's metrics show the consumer's lag. It is
// monitoring only: the stored offsets decide where reading resumes.
func (s *Stream) Publish(ctx context.Context, next map[int32]int64) error {
	if s.group == "" || len(next) == 0 {
		return nil
	}
	var os kadm.Offsets
	for p, o := range next {
		os.AddOffset(s.topic, p, o, -1)
	}
	if err := s.adm.CommitAllOffsets(ctx, s.group, os); err != nil {
		return fmt.Errorf("publishing offsets of %s to group %q: %w", s.display, s.group, s.explain(err))
	}
	return nil
}

// Ends returns the end offset (high watermark) of every partition: the lag of a partition is
// its end minus the first offset not yet stored.
func (s *Stream) Ends(ctx context.Context) (map[int32]int64, error) {
	lo, err := s.adm.ListEndOffsets(ctx, s.topic)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %s: %w", s.display, s.explain(err))
	}
	out := map[int32]int64{}
	var errs []error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("partition %d: %w", o.Partition, s.explain(o.Err)))
			return
		}
		out[o.Partition] = o.Offset
	})
	if len(errs) > 0 {
		return out, fmt.Errorf("listing end offsets of %s: %w", s.display, errors.Join(errs...))
	}
	return out, nil
}

// Close disconnects. It is idempotent.
func (s *Stream) Close() error {
	s.closeOnce.Do(s.cl.Close)
	return nil
}

// kafkaLogger passes the Kafka client's warnings and errors to slog.
type kafkaLogger struct{ log *slog.Logger }

func (l kafkaLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l kafkaLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	if level == kgo.LogLevelError {
		lv = slog.LevelError
	}
	l.log.Log(context.Background(), lv, "kafka client message", append([]any{"kafka_msg", msg}, keyvals...)...)
}
