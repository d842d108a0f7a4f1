package io.sniproxy.config;

/**
 * A problem found in a config, located by its path in the document ({@code routes[2].hostnames[1]}).
 * The reader turns paths into {@code line:col}; the operator into {@code spec.…} field paths.
 */
public record ConfigProblem(ConfigPath at, String message) {

    public ConfigProblem(String path, String message) {
        this(ConfigPath.parse(path), message);
    }

    /** The path in its text form, {@code routes[2].hostnames[1]}. */
    public String path() {
        return at.toString();
    }

    @Override
    public String toString() {
        return at.isRoot() ? message : at + ": " + message;
    }
}
