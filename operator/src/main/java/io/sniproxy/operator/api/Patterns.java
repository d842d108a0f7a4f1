package io.sniproxy.operator.api;

/**
 * Schema patterns the API server enforces. The operator re-checks everything with the proxy's own
 * rules ({@code io.sniproxy.route.Hostnames}, {@code ConfigReader}), since not every cluster (nor the
 * test mock server) validates schemas.
 */
public final class Patterns {

    /** Gateway API's hostname: an exact DNS name or {@code *.} and a DNS name, lower case. */
    public static final String HOSTNAME =
            "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /** {@code host:port} or {@code [v6]:port}. */
    public static final String HOST_PORT = "^([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$";

    /** An address block {@code 10.0.0.0/8}, {@code fd00::/8}, or one address; the proxy's {@code Cidr} has the last word. */
    public static final String CIDR = "^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$";

    /** {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}. */
    public static final String DURATION = "^[0-9]{1,9}(ms|s|m|h)$";

    private Patterns() {
    }
}
