package io.sniproxy.operator.support;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Writes a whole status against the object as the server holds it now. The SDK's non-SSA status
 * patch is a JSON Patch diffed against the cached object, which may be older than the server's: its
 * list operations then land on a newer list (a route listed twice, say). Diffing against a fresh read
 * makes the result exactly the status built. (Server-side apply would avoid this too, but the tests'
 * mock API server does not implement it.)
 */
public final class StatusWriter {

    private StatusWriter() {
    }

    @SuppressWarnings("unchecked")
    public static <S, R extends CustomResource<?, S>> void write(KubernetesClient client, R resource, S status) {
        client.resources((Class<R>) resource.getClass())
                .inNamespace(resource.getMetadata().getNamespace())
                .withName(resource.getMetadata().getName())
                .editStatus(current -> {
                    current.setStatus(status);
                    return current;
                });
    }
}
