package io.sniproxy.operator.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points the operator under test at the real control plane, authenticated as the ServiceAccount
 * user deploy/install.yaml binds its ClusterRole to: every call it makes is checked by RBAC.
 */
public class RealApiServer implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        ControlPlane cp = ControlPlane.get();
        ControlPlane.Identity operator = cp.operatorIdentity();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", cp.apiServerUrl(),
                "quarkus.kubernetes-client.ca-cert-file", cp.caCert().toString(),
                "quarkus.kubernetes-client.client-cert-file", operator.cert().toString(),
                "quarkus.kubernetes-client.client-key-file", operator.key().toString(),
                "quarkus.kubernetes-client.devservices.enabled", "false",
                // The operator may not create CRDs (RBAC): deploy/install.yaml installed them.
                "quarkus.operator-sdk.crd.apply", "false",
                // The packaged (prod) operator elects a leader; its Lease goes where install.yaml allows.
                "sniproxy.operator.leader-election.namespace", ControlPlane.OPERATOR_NAMESPACE);
    }

    @Override
    public void stop() {
        // The control plane outlives one Quarkus application: it is stopped when the JVM ends.
    }
}
