package io.sniproxy.operator.testing;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniProxySpec;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec;
import java.util.List;

/** Builders for the two custom resources, as a user would write them. */
public final class Resources {

    private Resources() {
    }

    public static SniProxy proxy(String namespace, String name, ListenerSpec... listeners) {
        SniProxy p = new SniProxy();
        p.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        SniProxySpec spec = new SniProxySpec();
        spec.listeners = List.of(listeners);
        p.setSpec(spec);
        return p;
    }

    public static ListenerSpec tls(String name, int port) {
        return new ListenerSpec(name, port, ListenerProtocol.TLS);
    }

    public static SniRoute route(String namespace, String name, String proxy, SniRouteSpec.BackendRef backend,
            String... hostnames) {
        SniRoute r = new SniRoute();
        r.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        SniRouteSpec spec = new SniRouteSpec();
        spec.proxyRef = new SniRouteSpec.ProxyRef(proxy, null);
        spec.hostnames = List.of(hostnames);
        spec.backend = backend;
        r.setSpec(spec);
        return r;
    }

    /** The same route as if persisted at {@code created} (RFC 3339), generation 1. */
    public static SniRoute persisted(SniRoute r, String created) {
        r.getMetadata().setCreationTimestamp(created);
        r.getMetadata().setGeneration(1L);
        return r;
    }
}
