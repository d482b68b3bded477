import CoreMetrics
import CSIRTApplication
import Foundation
import Metrics
import Prometheus

/// `/metrics`: swift-metrics instruments on a Prometheus registry owned by this server (not the
/// process-wide bootstrap, so that tests can run several servers side by side).
final class APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Request latencies of a LAN API: from 0.5 ms to 10 s.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
        ]
        self.factory = factory
    }

    struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// The instruments of each (method, route, status), made once: making them per request
    /// would look them up in the registry by their labels every time.
    private let instruments = NSLock()
    nonisolated(unsafe) private var counters: [RequestKey: CoreMetrics.Counter] = [:]
    nonisolated(unsafe) private var timers: [RequestKey: CoreMetrics.Timer] = [:]

    func request(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, route: route, status: status)
        let timerKey = RequestKey(method: method, route: route, status: 0)
        let (counter, timer) = instruments.withLock { () -> (CoreMetrics.Counter, CoreMetrics.Timer) in
            let counter = counters[key] ?? CoreMetrics.Counter(label: "csirt_http_requests_total",
                                                   dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            counters[key] = counter
            let timer = timers[timerKey] ?? CoreMetrics.Timer(label: "csirt_http_request_duration_seconds",
                                                              dimensions: [("method", method), ("route", route)], factory: factory)
            timers[timerKey] = timer
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Reads the state gauges from the store, then renders everything.
    func render(app: CSIRTApplication.Application) throws(CSIRTError) -> [UInt8] {
        for (severity, count) in try app.openIncidentCounts() {
            Gauge(label: "csirt_open_incidents", dimensions: [("severity", severity.name)], factory: factory).record(count)
        }
        for run in try app.latestSegmentationRunPerSite() {
            let site = [("site", run.site)]
            Gauge(label: "csirt_segmentation_last_check_compliant", dimensions: site, factory: factory).record(run.compliant ? 1 : 0)
            Gauge(label: "csirt_segmentation_last_check_violations", dimensions: site, factory: factory).record(run.violations)
            Gauge(label: "csirt_segmentation_last_check_timestamp_seconds", dimensions: site, factory: factory)
                .record(Int64(run.checkedAt.timeIntervalSince1970))
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
