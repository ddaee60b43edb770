package callcenter

import "github.com/prometheus/client_golang/prometheus"

// metrics are the hotline's Prometheus series. Every call ends in exactly
// one calls_total outcome, matching its CDR.
type metrics struct {
	callsActive   prometheus.Gauge
	callsTotal    *prometheus.CounterVec   // outcome
	callDuration  *prometheus.HistogramVec // outcome
	rejected      *prometheus.CounterVec   // reason
	tickets       prometheus.Counter
	agents        prometheus.Gauge
	registrations *prometheus.CounterVec // result
	queueWait     prometheus.Histogram
	rtpPackets    *prometheus.CounterVec // direction: rx, tx, lost
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		callsActive: prometheus.NewGauge(prometheus.GaugeOpts{Name: "doithoai_hotline_calls_active", Help: "Hotline calls in progress."}),
		callsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_calls_total",
			Help: "Finished hotline calls by outcome (agent, voicemail, abandoned, answered)."}, []string{"outcome"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "doithoai_hotline_call_duration_seconds",
			Help: "Hotline call duration by outcome.", Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1800}}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_sip_rejected_total",
			Help: "INVITEs refused before answering, by reason."}, []string{"reason"}),
		tickets: prometheus.NewCounter(prometheus.CounterOpts{Name: "doithoai_hotline_tickets_total", Help: "Voicemail tickets created."}),
		agents:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "doithoai_hotline_agents_registered", Help: "SIP agents with a live registration."}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_register_total",
			Help: "REGISTER requests by result."}, []string{"result"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "doithoai_hotline_queue_wait_seconds",
			Help: "Time callers waited for an agent.", Buckets: []float64{1, 5, 10, 20, 30, 60, 120}}),
		rtpPackets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "doithoai_hotline_rtp_packets_total",
			Help: "RTP packets of finished calls: rx, tx, lost."}, []string{"direction"}),
	}
	if reg != nil {
		reg.MustRegister(m.callsActive, m.callsTotal, m.callDuration, m.rejected, m.tickets, m.agents,
			m.registrations, m.queueWait, m.rtpPackets)
	}
	return m
}
