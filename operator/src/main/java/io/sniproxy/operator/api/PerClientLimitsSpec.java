package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Limits per client address (the real one, behind a PROXY-protocol balancer); each unset one is off. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PerClientLimitsSpec {

    @JsonPropertyDescription("Open connections (and QUIC sessions) of one client at a time.")
    @Min(1)
    @Max(10_000_000)
    public Integer maxConnections;

    @JsonPropertyDescription("New connections per second of one client (a token bucket refilled at this rate).")
    @Min(1)
    @Max(1_000_000)
    public Integer newConnectionsPerSecond;

    @JsonPropertyDescription("Bucket size: new connections a client may open at once (default: newConnectionsPerSecond).")
    @Min(1)
    @Max(10_000_000)
    public Integer burst;

    @JsonPropertyDescription("IPv6 clients in the same /ipv6Prefix network count as one (default 64).")
    @Min(1)
    @Max(128)
    public Integer ipv6Prefix;
}
