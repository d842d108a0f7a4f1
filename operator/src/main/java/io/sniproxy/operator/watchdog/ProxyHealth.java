package io.sniproxy.operator.watchdog;

import io.sniproxy.operator.support.Conditions;

/**
 * The watchdog's latest word on one SniProxy, as the two conditions it owns. Messages name pods and
 * avoid numbers in the healthy case, so a steady fleet does not rewrite its status every pass.
 */
public record ProxyHealth(String fdStatus, String fdReason, String fdMessage,
        String poolingStatus, String poolingReason, String poolingMessage) {

    public static final String POOLING_OFF_MESSAGE =
            "pooling cannot be configured: the rendered config says connectionPool.enabled: false";

    public static ProxyHealth notScraped(String reason, String message) {
        return new ProxyHealth(Conditions.UNKNOWN, reason, message, Conditions.TRUE, "NotConfigurable", POOLING_OFF_MESSAGE);
    }
}
