package io.sniproxy.config;

/**
 * {@code allowPrivateBackends=false}: transparent routes never reach loopback, private, link-local,
 * multicast or the proxy's own listeners.
 */
public record Security(boolean allowPrivateBackends) {

    public static final Security DEFAULTS = new Security(false);
}
