package io.sniproxy.config;

import java.time.Duration;

/**
 * Active health checking of a route's backends: a TCP connect every {@code interval}, given up after
 * {@code timeout}; a backend is marked down after {@code fall} failures in a row and up again after
 * {@code rise} successes (HAProxy's {@code inter}, {@code rise}, {@code fall}, with its defaults).
 */
public record HealthCheck(Duration interval, Duration timeout, int rise, int fall) {

    public static final HealthCheck DEFAULTS = new HealthCheck(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
}
