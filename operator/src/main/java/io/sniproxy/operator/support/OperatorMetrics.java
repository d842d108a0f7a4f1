package io.sniproxy.operator.support;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/** The operator's own metrics, next to JOSDK's: reconcile outcomes and what the watchdog found. */
@ApplicationScoped
public class OperatorMetrics {

    private final MeterRegistry registry;

    public OperatorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** {@code sniproxy_operator_reconciles_total{kind, result}}. */
    public void reconciled(String kind, String result) {
        registry.counter("sniproxy.operator.reconciles", "kind", kind, "result", result).increment();
    }

    /** {@code sniproxy_operator_watchdog_scrapes_total{outcome}}. */
    public void scraped(boolean ok) {
        registry.counter("sniproxy.operator.watchdog.scrapes", "outcome", ok ? "ok" : "failed").increment();
    }

    /** {@code sniproxy_operator_watchdog_findings_total{finding}}: one per pod per pass with that finding. */
    public void finding(String finding) {
        registry.counter("sniproxy.operator.watchdog.findings", "finding", finding).increment();
    }

    /** {@code sniproxy_operator_watchdog_restarts_total}. */
    public void restarted() {
        registry.counter("sniproxy.operator.watchdog.restarts").increment();
    }
}
