package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.sniproxy.operator.api.SniProxy;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Names and labels of the objects a SniProxy owns. */
public final class ProxyLabels {

    public static final String CONFIG_HASH_ANNOTATION = "sniproxy.io/config-hash";
    public static final String CONFIG_FILE = "config.yaml";
    public static final String CONFIG_DIR = "/etc/sniproxy";
    public static final String MANAGED_BY = "sniproxy-operator";

    private ProxyLabels() {
    }

    /** Selects the pods of one fleet (Deployment selector, Service selector, watchdog). */
    public static Map<String, String> selector(SniProxy proxy) {
        Map<String, String> m = new TreeMap<>();
        m.put("app.kubernetes.io/name", "sniproxy");
        m.put("app.kubernetes.io/instance", proxy.getMetadata().getName());
        return m;
    }

    /** The SniProxy whose fleet a labelled object (a pod) belongs to. */
    public static Optional<ResourceID> fleetOf(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        String instance = labels == null ? null : labels.get("app.kubernetes.io/instance");
        return instance == null ? Optional.empty()
                : Optional.of(new ResourceID(instance, object.getMetadata().getNamespace()));
    }

    public static Map<String, String> all(SniProxy proxy) {
        Map<String, String> m = selector(proxy);
        m.put("app.kubernetes.io/component", "proxy");
        m.put("app.kubernetes.io/managed-by", MANAGED_BY);
        return m;
    }

    public static String configMapName(SniProxy proxy) {
        return proxy.getMetadata().getName() + "-config";
    }

    public static String deploymentName(SniProxy proxy) {
        return proxy.getMetadata().getName();
    }

    public static String serviceName(SniProxy proxy) {
        return proxy.getMetadata().getName();
    }
}
