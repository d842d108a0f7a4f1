package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.List;

/**
 * The desired proxy fleet. There is deliberately no pooling switch: a transparent proxy has nothing
 * to pool, and the rendered file always says {@code connectionPool.enabled: false}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SniProxySpec {

    @JsonPropertyDescription("Number of proxy pods (default 2; 0 parks the fleet).")
    @Min(0)
    @Max(100)
    public Integer replicas;

    @JsonPropertyDescription("Proxy image; default: the operator's sniproxy.operator.proxy-image.")
    public String image;

    @JsonPropertyDescription("Sockets every pod listens on; each also becomes a Service port.")
    @Required
    @Size(min = 1, max = 32)
    @ValidationRule(value = "self.all(a, self.exists_one(b, b.name == a.name))", message = "listener names must be unique")
    @ValidationRule(value = "self.all(a, self.exists_one(b, b.port == a.port && (b.protocol == 'quic') == (a.protocol == 'quic')))",
            message = "two listeners of the same transport (TCP, or UDP for quic) cannot share a port")
    public List<ListenerSpec> listeners = new ArrayList<>();

    public TimeoutsSpec timeouts;

    public LimitsSpec limits;

    @JsonPropertyDescription("Let routes reach loopback, private and link-local addresses (default false).")
    public Boolean allowPrivateBackends;

    @JsonPropertyDescription("Port of the pods' metrics and health endpoints (default 9000); no listener may use it.")
    @Min(1)
    @Max(65535)
    public Integer managementPort;

    @JsonPropertyDescription("Service type for the listeners (default ClusterIP).")
    @Pattern("^(ClusterIP|NodePort|LoadBalancer)$")
    public String serviceType;

    @JsonPropertyDescription("Container resources; default requests 100m CPU / 256Mi, limit 512Mi.")
    public ResourceRequirements resources;

    public WatchdogSpec watchdog;

    @JsonPropertyDescription("Namespaces whose SniRoutes may attach to this proxy; default: only its own. "
            + "[\"*\"] allows every namespace (as the Gateway API's allowedRoutes).")
    @Size(max = 256)
    public List<@Pattern("^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$") String> allowedRouteNamespaces;
}
