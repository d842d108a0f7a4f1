package io.sniproxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads YAML text into {@link YamlNode}s with positions, using Jackson's streaming YAML parser.
 * Hostile input is bounded: size, nesting depth and alias counts are capped, and aliases are never
 * expanded into structures (no "billion laughs").
 */
final class YamlTreeReader {

    static final int MAX_DOCUMENT_CHARS = 4 * 1024 * 1024;
    private static final int MAX_DEPTH = 32;

    private final String source;
    private final List<ConfigError> errors;

    YamlTreeReader(String source, List<ConfigError> errors) {
        this.source = source;
        this.errors = errors;
    }

    /** Empty when the text is not readable YAML; the reason is in {@code errors}. */
    Optional<YamlNode> read(String text) {
        if (text.length() > MAX_DOCUMENT_CHARS) {
            errors.add(new ConfigError(source, 0, 0, "file is larger than " + MAX_DOCUMENT_CHARS + " characters"));
            return Optional.empty();
        }
        LoaderOptions loader = new LoaderOptions();
        loader.setMaxAliasesForCollections(10);
        loader.setAllowDuplicateKeys(true); // we report duplicates ourselves, with both positions
        loader.setNestingDepthLimit(MAX_DEPTH);
        loader.setCodePointLimit(MAX_DOCUMENT_CHARS);
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                .build();
        try (JsonParser parser = factory.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                errors.add(new ConfigError(source, 0, 0, "file is empty; it needs at least 'listeners:'"));
                return Optional.empty();
            }
            YamlNode root = readValue(parser, 0);
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                errors.add(new ConfigError(source, at.getLineNr(), at.getColumnNr(),
                        "only one YAML document is allowed"));
                return Optional.empty();
            }
            return Optional.of(root);
        } catch (IOException | RuntimeException e) {
            errors.add(syntaxError(e));
            return Optional.empty();
        }
    }

    private YamlNode readValue(JsonParser p, int depth) throws IOException {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr();
        int col = at.getColumnNr();
        JsonToken token = p.currentToken();
        if (depth > MAX_DEPTH) {
            throw new IOException("nesting deeper than " + MAX_DEPTH + " levels");
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
                                "duplicate key '" + key + "' (first at line " + previous.keyLine() + ")"));
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
                return new YamlNode.Scalar(line, col, p.getText(), YamlNode.Scalar.Kind.BOOLEAN);
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new YamlNode.Scalar(line, col, p.getText(), YamlNode.Scalar.Kind.NUMBER);
            }
            case VALUE_STRING -> {
                return new YamlNode.Scalar(line, col, p.getText(), YamlNode.Scalar.Kind.STRING);
            }
            default -> throw new IOException("unexpected YAML token " + token);
        }
    }

    private ConfigError syntaxError(Exception e) {
        int line = 0;
        int col = 0;
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
            line = jpe.getLocation().getLineNr();
            col = jpe.getLocation().getColumnNr();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe) {
            message = jpe.getOriginalMessage();
        }
        int cut = message.indexOf('\n');
        if (cut > 0) {
            message = message.substring(0, cut);
        }
        return new ConfigError(source, Math.max(line, 0), Math.max(col, 0), "not valid YAML: " + message);
    }
}
