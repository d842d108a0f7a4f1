package io.sniproxy.operator.support;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;

/**
 * The API server's refusal to create anything in a namespace being deleted (403, cause
 * {@code NamespaceTerminating}): an expected moment of a namespace's end, not a failure to report.
 */
public final class NamespaceTerminating {

    static final String REASON = "NamespaceTerminating";

    private NamespaceTerminating() {
    }

    public static boolean causedBy(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KubernetesClientException k && is(k)) {
                return true;
            }
            if (c instanceof AggregatedOperatorException a
                    && a.getAggregatedExceptions().values().stream().anyMatch(NamespaceTerminating::causedBy)) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    public static boolean is(KubernetesClientException e) {
        if (e.getCode() != 403) {
            return false;
        }
        var status = e.getStatus();
        if (status != null && status.getDetails() != null && status.getDetails().getCauses() != null
                && status.getDetails().getCauses().stream().anyMatch(c -> REASON.equals(c.getReason()))) {
            return true;
        }
        String message = status != null && status.getMessage() != null ? status.getMessage() : e.getMessage();
        return message != null && message.contains("because it is being terminated");
    }

    /** The innermost message: what the API server said, without the SDK's wrapping. */
    public static String describe(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        if (c instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
            return k.getStatus().getMessage();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
