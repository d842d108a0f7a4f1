package io.sniproxy.proxy.sniff;

/** What the first bytes of an {@code auto} listener's connection look like. */
public enum SniffedProtocol {
    TLS, HTTP, OTHER
}
