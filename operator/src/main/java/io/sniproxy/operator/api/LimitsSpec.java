package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The proxy's caps; unset ones keep the proxy's defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LimitsSpec {

    @Min(1)
    @Max(10_000_000)
    public Integer maxConnections;

    @Min(512)
    @Max(1_048_576)
    public Integer maxClientHelloBytes;

    @Min(1)
    @Max(10_000_000)
    public Integer maxUdpSessions;

    @JsonPropertyDescription("Limits per client address (off when unset): maxConnections, newConnectionsPerSecond, "
            + "burst, ipv6Prefix.")
    public PerClientLimitsSpec perClient;
}
