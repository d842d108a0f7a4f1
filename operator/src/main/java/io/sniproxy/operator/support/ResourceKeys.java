package io.sniproxy.operator.support;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** {@code namespace/name}, the way kubectl and our messages name an object. */
public final class ResourceKeys {

    private ResourceKeys() {
    }

    public static String of(HasMetadata resource) {
        return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    }
}
