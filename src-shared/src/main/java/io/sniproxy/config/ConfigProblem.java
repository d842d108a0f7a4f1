package io.sniproxy.config;

/**
 * A problem found in a config, located by its path in the document ({@code routes[2].hostnames[1]}).
 * The reader turns paths into {@code line:col}; the operator into {@code spec.…} field paths.
 */
public record ConfigProblem(String path, String message) {

    @Override
    public String toString() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
