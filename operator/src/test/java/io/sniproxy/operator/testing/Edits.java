package io.sniproxy.operator.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.UnaryOperator;

/**
 * A user's edit of an object the operator also writes (its status): read, change, write with the
 * read's resourceVersion, and on a 409 Conflict read again, as {@code kubectl edit} users do.
 */
public final class Edits {

    private Edits() {
    }

    public static <T extends HasMetadata> T edit(KubernetesClient client, Class<T> type, String namespace, String name,
            UnaryOperator<T> change) {
        for (int attempt = 1; ; attempt++) {
            T current = client.resources(type).inNamespace(namespace).withName(name).get();
            try {
                return client.resource(change.apply(current)).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }
}
