package io.sniproxy.operator.watchdog;

/** The gauges the watchdog reads from one scrape of a proxy pod's {@code /q/metrics}. */
public record MetricsSample(double openFds, double maxFds, double activeConnections, double poolSize, double poolActive) {

    public double fdRatio() {
        return maxFds > 0 ? openFds / maxFds : 0;
    }

    public boolean pooling() {
        return poolSize > 0 || poolActive > 0;
    }
}
