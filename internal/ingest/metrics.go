package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-source ingestion metrics, labelled by source name. One Metrics serves
// every source of a process; a nil *Metrics records nothing.
type Metrics struct {
	polls       *prometheus.CounterVec
	records     *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them with reg (none when reg is nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_source_polls_total", Help: "Polls of a source (a bucket listing or a stream batch), by result.",
		}, []string{"source", "result"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_source_records_total", Help: "Records committed to silver.audit from a source.",
		}, []string{"source"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_source_quarantined_total", Help: "Lines, messages or records of a source sent to bronze.quarantine.",
		}, []string{"source"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_source_bytes_total", Help: "Bytes of objects or messages committed from a source.",
		}, []string{"source"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "auditlake_source_lag", Help: "What a source holds that is not yet in the database: messages for a stream, objects for a bucket.",
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "auditlake_source_last_success_timestamp_seconds", Help: "When a poll of the source last succeeded.",
		}, []string{"source"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.polls, m.records, m.quarantined, m.bytes, m.lag, m.lastSuccess} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) add(source string, s Summary) {
	if m == nil {
		return
	}
	m.records.WithLabelValues(source).Add(float64(s.Records))
	m.quarantined.WithLabelValues(source).Add(float64(s.Quarantined))
	m.bytes.WithLabelValues(source).Add(float64(s.Bytes))
}

func (m *Metrics) poll(source string, ok bool, unix float64) {
	if m == nil {
		return
	}
	if ok {
		m.polls.WithLabelValues(source, "ok").Inc()
		m.lastSuccess.WithLabelValues(source).Set(unix)
		return
	}
	m.polls.WithLabelValues(source, "error").Inc()
}

func (m *Metrics) setLag(source string, v float64) {
	if m == nil {
		return
	}
	m.lag.WithLabelValues(source).Set(v)
}
