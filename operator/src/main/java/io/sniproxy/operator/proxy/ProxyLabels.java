package io.sniproxy.operator.proxy;

import io.sniproxy.operator.api.SniProxy;
import java.util.Map;
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
