package io.sniproxy.config;

import java.util.Optional;

/**
 * Whether a listener reads a PROXY protocol header sent by a balancer in front of it (only from
 * {@link Listener#trustedProxies()}); {@code any} takes either version, told apart by its first bytes.
 */
public enum AcceptProxyProtocol implements ConfigEnum {
    NONE, V1, V2, ANY;

    public static Optional<AcceptProxyProtocol> parse(String text) {
        return ConfigEnum.parse(AcceptProxyProtocol.class, text);
    }

    public boolean enabled() {
        return this != NONE;
    }

    public boolean accepts(ProxyProtocol version) {
        return switch (this) {
            case NONE -> false;
            case V1 -> version == ProxyProtocol.V1;
            case V2 -> version == ProxyProtocol.V2;
            case ANY -> version != ProxyProtocol.NONE;
        };
    }
}
