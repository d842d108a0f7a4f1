package io.sniproxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML text into {@link YamlNode}s with positions, using Jackson's streaming YAML parser.
 *
 * <p>Hostile input is bounded: size ({@link #MAX_DOCUMENT_CHARS}), nesting depth ({@link #MAX_DEPTH})
 * and value count ({@link #MAX_NODES}). Aliases ({@code *name}) are refused outright: Jackson's
 * streaming parser reports an alias as the anchor's name as if it were a string, so accepting them
 * would silently turn {@code backend: *b} into a backend called "b"; refusing them also makes a
 * "billion laughs" document impossible by construction.
 *
 * <p>Scalars follow YAML 1.2: only {@code true}/{@code false} are booleans, so {@code on}, {@code yes}
 * or {@code no} are plain text and a boolean field reports them instead of guessing.
 */
final class YamlTreeReader {

    static final int MAX_DOCUMENT_CHARS = 4 * 1024 * 1024;
    static final int MAX_DEPTH = 32;
    static final int MAX_NODES = 500_000;
    private static final String STANDARD_TAG_PREFIX = "tag:yaml.org,2002:";

    private final String source;
    private final List<ConfigError> errors;
    private String text;
    private int nodes;

    YamlTreeReader(String source, List<ConfigError> errors) {
        this.source = source;
        this.errors = errors;
    }

    /** Empty when the text is not readable YAML; the reason is in {@code errors}. */
    Optional<YamlNode> read(String text) {
        if (text.length() > MAX_DOCUMENT_CHARS) {
            errors.add(new ConfigError(source, 0, 0, "file is larger than " + MAX_DOCUMENT_CHARS
                    + " characters; a config this large is almost certainly not what was meant"));
            return Optional.empty();
        }
        this.text = text;
        this.nodes = 0;
        LoaderOptions loader = new LoaderOptions();
        loader.setAllowDuplicateKeys(true); // we report duplicates ourselves, with both positions
        loader.setCodePointLimit(MAX_DOCUMENT_CHARS);
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
                // Jackson's own cap stays above ours, so ours fires first and can say where.
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 8).build())
                .build();
        try (YAMLParser parser = (YAMLParser) factory.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                errors.add(new ConfigError(source, 0, 0, "file is empty; it needs at least 'listeners:'"));
                return Optional.empty();
            }
            YamlNode root = readValue(parser, 1);
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                errors.add(new ConfigError(source, at.getLineNr(), at.getColumnNr(),
                        "only one YAML document is allowed (remove the second '---')"));
                return Optional.empty();
            }
            return Optional.of(root);
        } catch (Refused e) {
            errors.add(new ConfigError(source, e.line, e.column, e.getMessage()));
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            errors.add(syntaxError(e));
            return Optional.empty();
        }
    }

    private YamlNode readValue(YAMLParser p, int depth) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int col = at.getColumnNr();
        JsonToken token = p.currentToken();
        if (depth > MAX_DEPTH) {
            throw new Refused(line, col, "nested deeper than " + MAX_DEPTH + " levels; a config file needs about 4");
        }
        if (++nodes > MAX_NODES) {
            throw new Refused(line, col, "more than " + MAX_NODES + " values; a config file this large is refused");
        }
        if (p.isCurrentAlias()) {
            throw new Refused(line, col, "YAML aliases (*" + p.getText() + ") are not supported; write the value out "
                    + "in full");
        }
        String tag = p.getTypeId();
        if (tag != null && !tag.startsWith(STANDARD_TAG_PREFIX)) {
            throw new Refused(line, col, "YAML tag '!" + tag + "' is not supported; remove it");
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    JsonLocation keyAt = p.currentTokenLocation();
                    String key = p.currentName();
                    p.nextToken();
                    YamlNode value = readValue(p, depth + 1);
                    YamlNode.Entry previous = entries.get(key);
                    if (previous != null) {
                        errors.add(new ConfigError(source, keyAt.getLineNr(), keyAt.getColumnNr(),
                                "duplicate key '" + key + "' (first at line " + previous.keyLine() + ":"
                                        + previous.keyColumn() + "); each key may appear once"));
                    } else {
                        entries.put(key, new YamlNode.Entry(key, keyAt.getLineNr(), keyAt.getColumnNr(), value));
                    }
                }
                return new YamlNode.Mapping(line, col, entries);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(p, depth + 1));
                }
                return new YamlNode.Sequence(line, col, items);
            }
            case VALUE_NULL -> {
                return new YamlNode.Scalar(line, col, null, YamlNode.Scalar.Kind.NULL);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new YamlNode.Scalar(line, col, token == JsonToken.VALUE_TRUE ? "true" : "false",
                        YamlNode.Scalar.Kind.BOOLEAN);
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new YamlNode.Scalar(line, col, p.getText(), YamlNode.Scalar.Kind.NUMBER);
            }
            case VALUE_STRING -> {
                String value = p.getText();
                // Jackson reports some empty plain values ("key:" at the end of a mapping) as "" rather
                // than null; YAML says an empty plain scalar is null. A quoted '' stays a string.
                if (value.isEmpty() && tag == null && !quotedAt(at)) {
                    return new YamlNode.Scalar(line, col, null, YamlNode.Scalar.Kind.NULL);
                }
                return new YamlNode.Scalar(line, col, value, YamlNode.Scalar.Kind.STRING);
            }
            case VALUE_EMBEDDED_OBJECT -> throw new Refused(line, col, "binary values are not supported");
            default -> throw new Refused(line, col, "unexpected YAML token " + token);
        }
    }

    private boolean quotedAt(JsonLocation at) {
        long offset = at.getCharOffset();
        if (offset < 0 || offset >= text.length()) {
            return false;
        }
        char c = text.charAt((int) offset);
        return c == '\'' || c == '"';
    }

    /** Where and why snakeyaml gave up, in one line; its own message spans several with a source excerpt. */
    private ConfigError syntaxError(Exception e) {
        Throwable cause = e;
        while (cause != null && !(cause instanceof MarkedYAMLException)) {
            cause = cause.getCause();
        }
        if (cause instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            Mark mark = marked.getProblemMark();
            StringBuilder message = new StringBuilder("not valid YAML: ").append(marked.getProblem());
            if (marked.getContext() != null) {
                message.append(" (").append(marked.getContext());
                Mark ctx = marked.getContextMark();
                if (ctx != null) {
                    message.append(" that starts at ").append(ctx.getLine() + 1).append(':').append(ctx.getColumn() + 1);
                }
                message.append(')');
            }
            return new ConfigError(source, mark.getLine() + 1, mark.getColumn() + 1, oneLine(message.toString()));
        }
        int line = 0;
        int col = 0;
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof JsonProcessingException jpe) {
            if (jpe.getLocation() != null) {
                line = jpe.getLocation().getLineNr();
                col = jpe.getLocation().getColumnNr();
            }
            message = jpe.getOriginalMessage();
            if (message.startsWith("Expected a field name")) {
                message = "a mapping key must be plain text, not a list or a mapping";
            }
        }
        return new ConfigError(source, Math.max(line, 0), Math.max(col, 0), "not valid YAML: " + oneLine(message));
    }

    private static String oneLine(String message) {
        int cut = message.indexOf('\n');
        return cut > 0 ? message.substring(0, cut) : message;
    }

    /** Input we can parse but refuse; carries its own position. */
    private static final class Refused extends IOException {
        final int line;
        final int column;

        Refused(int line, int column, String message) {
            super(message);
            this.line = line;
            this.column = column;
        }
    }
}
