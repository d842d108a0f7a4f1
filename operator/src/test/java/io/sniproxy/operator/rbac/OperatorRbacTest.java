package io.sniproxy.operator.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.operator.testing.ControlPlane;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What deploy/install.yaml lets the operator do, asked of the real API server's RBAC authorizer with
 * the operator's own identity ({@code kubectl auth can-i} as its ServiceAccount user): every call it
 * makes is allowed, and the calls it has no business making are refused. (The reconciler tests run
 * the operator with this same identity, so a call missing here fails them too.)
 */
class OperatorRbacTest {

    static Path operator;

    @BeforeAll
    static void identity() {
        operator = ControlPlane.get().operatorIdentity().kubeconfig();
    }

    @Test
    void everyCallTheOperatorMakesIsAllowed() throws Exception {
        List<String> refused = new ArrayList<>();
        for (String[] call : new String[][] {
            {"list", "sniproxies.sniproxy.io", "--all-namespaces"},
            {"watch", "sniproxies.sniproxy.io", "--all-namespaces"},
            {"watch", "sniroutes.sniproxy.io", "--all-namespaces"},
            {"patch", "sniproxies.sniproxy.io", "--subresource=status", "-n", "team"},
            {"patch", "sniroutes.sniproxy.io", "--subresource=status", "-n", "team"},
            {"update", "sniproxies.sniproxy.io", "--subresource=finalizers", "-n", "team"},
            {"watch", "configmaps", "--all-namespaces"},
            {"create", "configmaps", "-n", "team"},
            {"patch", "configmaps", "-n", "team"},
            {"watch", "services", "--all-namespaces"},
            {"patch", "services", "-n", "team"},
            {"watch", "deployments.apps", "--all-namespaces"},
            {"patch", "deployments.apps", "-n", "team"},
            {"watch", "pods", "--all-namespaces"},
            {"create", "pods", "--subresource=eviction", "-n", "team"},
            {"create", "events", "-n", "team"},
            {"get", "customresourcedefinitions.apiextensions.k8s.io"},
            {"create", "leases.coordination.k8s.io", "-n", ControlPlane.OPERATOR_NAMESPACE},
            {"update", "leases.coordination.k8s.io", "-n", ControlPlane.OPERATOR_NAMESPACE},
            {"patch", "leases.coordination.k8s.io", "-n", ControlPlane.OPERATOR_NAMESPACE},
        }) {
            if (!canI(call)) {
                refused.add(String.join(" ", call));
            }
        }
        assertThat(refused).as("calls the operator makes but deploy/install.yaml does not grant").isEmpty();
    }

    @Test
    void callsTheOperatorHasNoBusinessMakingAreRefused() throws Exception {
        List<String> allowed = new ArrayList<>();
        for (String[] call : new String[][] {
            {"delete", "pods", "-n", "team"},                  // restarts go through evictions
            {"delete", "deployments.apps", "-n", "team"},      // owner references let the GC delete
            {"delete", "configmaps", "-n", "team"},
            {"delete", "services", "-n", "team"},
            {"update", "sniproxies.sniproxy.io", "-n", "team"}, // the spec is the user's
            {"patch", "sniroutes.sniproxy.io", "-n", "team"},
            {"get", "secrets", "-n", "team"},
            {"list", "secrets", "--all-namespaces"},
            {"create", "customresourcedefinitions.apiextensions.k8s.io"},
            {"create", "clusterrolebindings.rbac.authorization.k8s.io"},
            {"create", "pods", "-n", "team"},
            {"patch", "nodes"},
            {"update", "leases.coordination.k8s.io", "-n", "team"}, // leader election is namespaced
        }) {
            if (canI(call)) {
                allowed.add(String.join(" ", call));
            }
        }
        assertThat(allowed).as("calls deploy/install.yaml grants but the operator must not make").isEmpty();
    }

    /** {@code kubectl auth can-i} answers "yes" (exit 0) or "no" (exit 1). */
    private static boolean canI(String... call) throws Exception {
        List<String> args = new ArrayList<>(List.of("auth", "can-i"));
        args.addAll(List.of(call));
        ControlPlane.Result r = ControlPlane.get().kubectlAs(operator, args.toArray(String[]::new));
        String[] lines = r.out().strip().split("\n"); // a warning may come first (cluster-scoped resources)
        assertThat(lines[lines.length - 1]).as(String.join(" ", args)).isIn("yes", "no");
        return r.exit() == 0;
    }
}
