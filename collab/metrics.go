package collab

import "github.com/prometheus/client_golang/prometheus"

// metrics are the service's Prometheus metrics.
type metrics struct {
	connections    *prometheus.GaugeVec
	documents      prometheus.Gauge
	updates        prometheus.Counter
	deliveries     prometheus.Counter
	bytesIn        prometheus.Counter
	bytesOut       prometheus.Counter
	fanout         prometheus.Histogram
	persistSeconds prometheus.Histogram
	commitSeconds  prometheus.Histogram
	commitBatch    prometheus.Histogram
	commitErrors   prometheus.Counter
	loadSeconds    prometheus.Histogram
	compactions    *prometheus.CounterVec
	compactSeconds prometheus.Histogram
	unloads        *prometheus.CounterVec
	conflicts      prometheus.Counter
	remoteUpdates  prometheus.Counter
	dedupedUpdates prometheus.Counter
	busDropped     prometheus.Counter
	polledCatchUps prometheus.Counter
	catchUps       *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	latency := []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5}
	m := &metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tandem_collab_connections", Help: "Open realtime WebSocket connections, by dialect."}, []string{"dialect"}),
		documents: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tandem_collab_documents_loaded", Help: "Documents loaded in memory."}),
		updates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_updates_total", Help: "Document updates received, applied and logged."}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_deliveries_total", Help: "Updates delivered to other clients."}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_received_bytes_total", Help: "Bytes of WebSocket messages received."}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_sent_bytes_total", Help: "Bytes of WebSocket messages queued for sending."}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_fanout_latency_seconds", Help: "From receiving an update to queueing it for the other clients, durable log commit included.", Buckets: latency}),
		persistSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_persist_latency_seconds", Help: "From receiving an update to its log commit.", Buckets: latency}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_commit_duration_seconds", Help: "Duration of one group commit transaction.", Buckets: latency}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_commit_batch_updates", Help: "Updates per group commit.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_commit_errors_total", Help: "Failed group commit attempts."}),
		loadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_document_load_seconds", Help: "Time to load a document from the log.", Buckets: latency}),
		compactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_collab_compactions_total", Help: "Log compaction runs, by result."}, []string{"result"}),
		compactSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tandem_collab_compaction_duration_seconds", Help: "Duration of one compaction.", Buckets: latency}),
		unloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_collab_document_unloads_total", Help: "Documents unloaded, by reason (idle, memory)."}, []string{"reason"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_append_conflicts_total", Help: "Appends of a document that found another instance had appended first."}),
		remoteUpdates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_remote_updates_total", Help: "Updates appended by other instances and relayed to this instance's clients."}),
		dedupedUpdates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_deduplicated_updates_total", Help: "Pending updates not stored because another instance had stored the same structs."}),
		busDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_bus_dropped_messages_total", Help: "Messages to other instances not published (bus down or behind); they catch up from the log."}),
		polledCatchUps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tandem_collab_polled_catchups_total", Help: "Documents found behind the log by polling, rather than through the bus."}),
		catchUps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_collab_catchups_total", Help: "Reads of the log by a room that fell behind other instances, by why (conflict: a retried append had committed; gap, poll, backlog, bus-back, join-read-failed)."}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connections, m.documents, m.updates, m.deliveries, m.bytesIn, m.bytesOut,
		m.fanout, m.persistSeconds, m.commitSeconds, m.commitBatch, m.commitErrors, m.loadSeconds, m.compactions,
		m.compactSeconds, m.unloads, m.conflicts, m.remoteUpdates, m.dedupedUpdates, m.busDropped, m.polledCatchUps, m.catchUps} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
