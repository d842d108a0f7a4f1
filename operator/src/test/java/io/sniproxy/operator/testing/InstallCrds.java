package io.sniproxy.operator.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Installs the committed {@code crds/} into the mock API server before the operator starts, as
 * {@code kubectl apply -f crds/} (or deploy/install.yaml) does on a cluster.
 */
public class InstallCrds implements Consumer<KubernetesServer> {

    @Override
    public void accept(KubernetesServer server) {
        for (String file : new String[] {"sniproxies.sniproxy.io-v1.yml", "sniroutes.sniproxy.io-v1.yml"}) {
            try (InputStream in = Files.newInputStream(Path.of("..", "crds", file))) {
                CustomResourceDefinition crd = server.getClient().apiextensions().v1().customResourceDefinitions()
                        .load(in).item();
                server.getClient().resource(crd).create();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read crds/" + file, e);
            }
        }
    }
}
