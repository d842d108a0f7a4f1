package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** One socket of every pod; the name doubles as the container and Service port name. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ListenerSpec {

    @JsonPropertyDescription("Unique name (a port name: lower-case letters, digits, '-', at most 15 characters).")
    @Required
    @Pattern("^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")
    public String name;

    @Required
    @Min(1)
    @Max(65535)
    public Integer port;

    @JsonPropertyDescription("What is read to route: tls (SNI), http (Host), quic (SNI of the QUIC Initial, UDP) or auto.")
    @Required
    public ListenerProtocol protocol;

    @JsonPropertyDescription("host:port used when no name is sent or none matches (optional).")
    @Pattern(Patterns.HOST_PORT)
    public String defaultBackend;

    @JsonPropertyDescription("Read a PROXY protocol header from the balancer in front (a LoadBalancer Service with "
            + "proxy protocol on): none (default), v1, v2 or any. Needs trustedProxies.")
    public AcceptProxyProtocolMode acceptProxyProtocol;

    @JsonPropertyDescription("Address blocks allowed to send the PROXY header, e.g. the VPC's 10.0.0.0/8; only "
            + "with acceptProxyProtocol.")
    @Size(max = 64)
    public List<@Pattern(Patterns.CIDR) String> trustedProxies;

    public ListenerSpec() {
    }

    public ListenerSpec(String name, int port, ListenerProtocol protocol) {
        this.name = name;
        this.port = port;
        this.protocol = protocol;
    }
}
