package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** Hostnames → a backend (a Service, one address, or several), on the SniProxy named by {@code proxyRef}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SniRouteSpec {

    @Required
    public ProxyRef proxyRef;

    @JsonPropertyDescription("Exact names or '*.suffix' wildcards (lower case); an older route keeps a name both claim.")
    @Required
    @Size(min = 1, max = 64)
    public List<@Pattern(Patterns.HOSTNAME) @Size(min = 1, max = 253) String> hostnames = new ArrayList<>();

    @Required
    public BackendRef backend;

    @JsonPropertyDescription("Only for listeners of these protocols (default: all).")
    @Size(max = 3)
    public List<RouteProtocol> protocols;

    @JsonPropertyDescription("PROXY protocol header towards the backend: none (default), v1 or v2.")
    public ProxyProtocolMode proxyProtocol;

    /** The SniProxy this route attaches to. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ProxyRef {
        @Required
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        public String name;

        @JsonPropertyDescription("Namespace of the SniProxy (default: the route's own).")
        public String namespace;

        public ProxyRef() {
        }

        public ProxyRef(String name, String namespace) {
            this.name = name;
            this.namespace = namespace;
        }
    }

    /** A Service in the route's namespace, a fixed {@code host:port}, or several; exactly one of the three. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @io.fabric8.generator.annotation.ValidationRule(
            value = "(has(self.service) ? 1 : 0) + (has(self.address) ? 1 : 0) + (has(self.addresses) ? 1 : 0) == 1",
            message = "set exactly one of backend.service, backend.address and backend.addresses")
    public static class BackendRef {
        public ServiceRef service;

        @JsonPropertyDescription("host:port reached directly.")
        @Pattern(Patterns.HOST_PORT)
        public String address;

        @JsonPropertyDescription("Several host:port backends, chosen by balance; a failed connect moves to the next.")
        @Size(min = 1, max = 64)
        public List<@Pattern(Patterns.HOST_PORT) String> addresses;

        @JsonPropertyDescription("How addresses are chosen: roundrobin (default), leastconn, or source (a client "
                + "sticks to one backend).")
        public BalanceMode balance;

        public static BackendRef service(String name, int port) {
            BackendRef b = new BackendRef();
            b.service = new ServiceRef();
            b.service.name = name;
            b.service.port = port;
            return b;
        }

        public static BackendRef address(String address) {
            BackendRef b = new BackendRef();
            b.address = address;
            return b;
        }

        public static BackendRef addresses(BalanceMode balance, String... addresses) {
            BackendRef b = new BackendRef();
            b.addresses = List.of(addresses);
            b.balance = balance;
            return b;
        }
    }

    /** A Service name and port in the route's own namespace. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ServiceRef {
        @Required
        @Pattern("^[a-z]([-a-z0-9]*[a-z0-9])?$")
        public String name;

        @Required
        @io.fabric8.generator.annotation.Min(1)
        @Max(65535)
        public Integer port;
    }
}
