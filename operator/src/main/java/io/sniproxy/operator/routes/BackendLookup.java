package io.sniproxy.operator.routes;

import io.fabric8.kubernetes.api.model.Service;
import java.util.Optional;

/** Finds the Service a route's backend names; the reconcilers read it from the API server. */
@FunctionalInterface
public interface BackendLookup {

    Optional<Service> service(String namespace, String name);
}
