package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** The proxy's timeouts ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}); unset ones keep the proxy's defaults. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TimeoutsSpec {

    @JsonPropertyDescription("Time allowed for the ClientHello or request head (default 10s).")
    @Pattern(Patterns.DURATION)
    public String clientHello;

    @JsonPropertyDescription("Backend connect timeout (default 5s).")
    @Pattern(Patterns.DURATION)
    public String connect;

    @JsonPropertyDescription("No bytes either way for this long closes both sides (default 5m).")
    @Pattern(Patterns.DURATION)
    public String idle;

    @JsonPropertyDescription("A QUIC/UDP session without packets for this long is removed (default 30s).")
    @Pattern(Patterns.DURATION)
    public String udpSession;

    @JsonPropertyDescription("On SIGTERM, how long open connections may finish (default 30s); the pod's grace period is longer.")
    @Pattern(Patterns.DURATION)
    public String drain;
}
