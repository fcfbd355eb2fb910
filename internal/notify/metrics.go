package notify

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the outbox's Prometheus metrics.
type metrics struct {
	notifications  *prometheus.CounterVec // final outcome per delivery: sent, failed, silenced
	attemptsTotal  *prometheus.CounterVec // per attempt: sent, retry, failed
	enqueued       prometheus.Counter
	duplicates     prometheus.Counter
	unrouted       prometheus.Counter
	pending        prometheus.Gauge
	latency        prometheus.Histogram // enqueue to sent
	attemptSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_notifications_total",
			Help: "Deliveries (notification × receiver) that reached a final outcome: sent, failed or silenced.",
		}, []string{"outcome"}),
		attemptsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auditlake_notification_attempts_total",
			Help: "Delivery attempts by outcome: sent, retry (retryable failure) or failed (permanent).",
		}, []string{"outcome"}),
		enqueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditlake_notifications_enqueued_total",
			Help: "Deliveries added to the outbox.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditlake_notifications_duplicate_total",
			Help: "Deliveries not added because the outbox already held them (same alerts, same receiver).",
		}),
		unrouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auditlake_notifications_unrouted_total",
			Help: "Action group names in alerts that no configured group matches.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "auditlake_notifications_pending",
			Help: "Deliveries waiting for their first or next attempt.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "auditlake_notification_latency_seconds",
			Help:    "Time from enqueue to a successful delivery, retries included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600},
		}),
		attemptSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "auditlake_notification_attempt_duration_seconds",
			Help:    "Duration of one delivery attempt.",
			Buckets: prometheus.DefBuckets,
		}),
	}
	for _, o := range []string{StatusSent, StatusFailed, StatusSilenced} {
		m.notifications.WithLabelValues(o)
	}
	for _, o := range []outcome{outcomeSent, outcomeRetry, outcomeFailed} {
		m.attemptsTotal.WithLabelValues(string(o))
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.notifications, m.attemptsTotal, m.enqueued, m.duplicates, m.unrouted, m.pending, m.latency, m.attemptSeconds} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("registering notify metrics: %w", err)
	}
	return m, nil
}

// attempts counts one recorded attempt.
func (m *metrics) attempts(rec record) {
	if !rec.attempt {
		return
	}
	switch rec.status {
	case StatusSent:
		m.attemptsTotal.WithLabelValues(string(outcomeSent)).Inc()
	case StatusPending:
		m.attemptsTotal.WithLabelValues(string(outcomeRetry)).Inc()
	default:
		m.attemptsTotal.WithLabelValues(string(outcomeFailed)).Inc()
	}
}
