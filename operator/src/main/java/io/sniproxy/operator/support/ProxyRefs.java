package io.sniproxy.operator.support;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.sniproxy.operator.api.SniRoute;
import java.util.Optional;

/** Which SniProxy a route names: {@code proxyRef.namespace} defaults to the route's own. */
public final class ProxyRefs {

    private ProxyRefs() {
    }

    public static Optional<ResourceID> target(SniRoute route) {
        if (route.getSpec() == null || route.getSpec().proxyRef == null || route.getSpec().proxyRef.name == null) {
            return Optional.empty();
        }
        String ns = route.getSpec().proxyRef.namespace;
        return Optional.of(new ResourceID(route.getSpec().proxyRef.name,
                ns == null || ns.isEmpty() ? route.getMetadata().getNamespace() : ns));
    }

    public static boolean targets(SniRoute route, ResourceID proxy) {
        return target(route).map(proxy::equals).orElse(false);
    }
}
