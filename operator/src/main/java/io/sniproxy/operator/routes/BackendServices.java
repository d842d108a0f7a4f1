package io.sniproxy.operator.routes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sniproxy.operator.api.SniRoute;

/**
 * The Services routes name as backends, read from an informer's cache (one watch for all of them,
 * not a GET per Service per render); the informer's events re-run the reconcilers that depend on them.
 */
public final class BackendServices {

    private BackendServices() {
    }

    /** Whether {@code route} names {@code service} (a Service in the route's own namespace). */
    public static boolean names(SniRoute route, Service service) {
        var spec = route.getSpec();
        return spec != null && spec.backend != null && spec.backend.service != null
                && service.getMetadata().getName().equals(spec.backend.service.name)
                && service.getMetadata().getNamespace().equals(route.getMetadata().getNamespace());
    }

    /** Lookups against the cache of the controller's Service informer named {@code eventSource}. */
    public static <P extends HasMetadata> BackendLookup lookup(Context<P> context, String eventSource) {
        @SuppressWarnings("unchecked")
        InformerEventSource<Service, P> services = (InformerEventSource<Service, P>) context.eventSourceRetriever()
                .getEventSourceFor(Service.class, eventSource);
        return (namespace, name) -> services.get(new ResourceID(name, namespace));
    }
}
