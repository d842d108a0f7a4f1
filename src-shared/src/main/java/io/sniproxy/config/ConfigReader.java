package io.sniproxy.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one way to load a config: YAML text → positioned tree → records → cross-field validation.
 * Either a valid {@link ProxyConfig} or a {@link ConfigException} listing every error as
 * {@code file:line:col: path: message}.
 */
public final class ConfigReader {

    private ConfigReader() {
    }

    /** The largest file the reader reads; a config this large is refused before it is read. */
    public static final int MAX_FILE_BYTES = YamlTreeReader.MAX_DOCUMENT_CHARS;

    public static ProxyConfig read(Path file) throws ConfigException {
        return read(file.toString(), readText(file));
    }

    /**
     * The file's text, or a {@link ConfigException} saying why it cannot be read at all (missing,
     * no permission, not UTF-8, larger than {@link #MAX_FILE_BYTES}) — as opposed to read but refused.
     */
    public static String readText(Path file) throws ConfigException {
        String source = file.toString();
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: it is a directory")));
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(List.of(new ConfigError(source, 0, 0,
                        "file is larger than " + MAX_FILE_BYTES + " bytes")));
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: no such file")));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: permission denied")));
        } catch (CharacterCodingException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: the file is not UTF-8 text")));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "cannot read: " + e.getMessage())));
        }
    }

    public static ProxyConfig read(String source, String text) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        Optional<YamlNode> tree = new YamlTreeReader(source, errors).read(text);
        if (tree.isEmpty()) {
            throw new ConfigException(errors);
        }
        Optional<ConfigBinder.Bound> bound = new ConfigBinder(source, errors).bind(tree.get());
        if (bound.isPresent()) {
            // Validate even when binding found errors: the well-formed elements may break cross-field
            // rules too, and the user should see every problem in one run.
            ConfigBinder.Bound b = bound.get();
            Map<ConfigPath, YamlNode> index = new HashMap<>();
            indexPaths(tree.get(), ConfigPath.ROOT, index);
            for (ConfigProblem p : ConfigValidator.validate(b.config(), i -> b.listenerIndex()[i], i -> b.routeIndex()[i])) {
                YamlNode at = locate(index, p.at());
                errors.add(new ConfigError(source, at == null ? 0 : at.line(), at == null ? 0 : at.column(),
                        p.toString()));
            }
        }
        if (!errors.isEmpty()) {
            Collections.sort(errors);
            throw new ConfigException(errors);
        }
        return bound.orElseThrow().config();
    }

    private static void indexPaths(YamlNode node, ConfigPath path, Map<ConfigPath, YamlNode> index) {
        index.put(path, node);
        if (node instanceof YamlNode.Mapping m) {
            for (YamlNode.Entry e : m.entries().values()) {
                indexPaths(e.value(), path.key(e.key()), index);
            }
        } else if (node instanceof YamlNode.Sequence s) {
            for (int i = 0; i < s.items().size(); i++) {
                indexPaths(s.items().get(i), path.index(i), index);
            }
        }
    }

    /**
     * The node at {@code path}, or at its nearest existing ancestor. A route's one backend is reported
     * as {@code backend} but may be written {@code backends: [x]}, and the other way round: the schema's
     * one-element form and its list stand for each other.
     */
    static YamlNode locate(Map<ConfigPath, YamlNode> index, ConfigPath path) {
        ConfigPath p = path;
        while (true) {
            YamlNode n = index.get(p);
            if (n == null) {
                n = index.get(alias(p));
            }
            if (n != null || p.isRoot()) {
                return n;
            }
            p = p.parent();
        }
    }

    /** {@code routes[i].backend} ⇄ {@code routes[i].backends[0]}; any other path is its own alias. */
    private static ConfigPath alias(ConfigPath p) {
        List<ConfigPath.Segment> s = p.segments();
        ConfigPath.Key one = new ConfigPath.Key(ConfigSchema.Routes.BACKEND.name());
        ConfigPath.Key many = new ConfigPath.Key(ConfigSchema.Routes.BACKENDS.name());
        if (p.indexUnder(ConfigSchema.Root.ROUTES).isEmpty()) {
            return p;
        }
        if (s.size() == 3 && s.get(2).equals(one)) {
            return p.parent().key(many.name()).index(0);
        }
        if (s.size() == 4 && s.get(2).equals(many) && s.get(3).equals(new ConfigPath.Index(0))) {
            return p.parent().parent().key(one.name());
        }
        return p;
    }
}
