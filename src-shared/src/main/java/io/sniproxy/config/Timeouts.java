package io.sniproxy.config;

import java.time.Duration;

/** Every wait the proxy does is bounded by one of these. */
public record Timeouts(Duration clientHello, Duration connect, Duration idle, Duration udpSession, Duration drain) {

    public static final Timeouts DEFAULTS = new Timeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30),
            Duration.ofSeconds(30));
}
