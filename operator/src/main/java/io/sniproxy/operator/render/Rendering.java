package io.sniproxy.operator.render;

import io.sniproxy.config.ProxyConfig;
import java.util.List;

/**
 * The config file for one SniProxy: its YAML (what the ConfigMap holds), the hash on the pod
 * template, and the routes it contains ({@code namespace/name@generation}, sorted).
 */
public record Rendering(ProxyConfig config, String yaml, String hash, List<String> routes) {

    /** Key under which the reconciler hands the rendering to its dependent resources. */
    public static final String CONTEXT_KEY = "sniproxy.rendering";

    public Rendering {
        routes = List.copyOf(routes);
    }
}
