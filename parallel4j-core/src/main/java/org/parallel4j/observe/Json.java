package org.parallel4j.observe;

/**
 * A JSON writer for the dashboard's state: objects, arrays, strings and numbers, written in order
 * into one buffer. Not thread-safe; one per response. It checks nothing but what it escapes: the
 * dashboard writes well-formed documents by construction.
 */
final class Json {
  private final StringBuilder out = new StringBuilder(4096);
  private final StringBuilder open = new StringBuilder(); // the containers open, innermost last
  private boolean first = true; // no comma before the next value

  Json object() {
    comma();
    out.append('{');
    open.append('{');
    first = true;
    return this;
  }

  /** Closes the innermost object or array. */
  Json end() {
    char innermost = open.charAt(open.length() - 1);
    open.setLength(open.length() - 1);
    out.append(innermost == '{' ? '}' : ']');
    first = false;
    return this;
  }

  Json array() {
    comma();
    out.append('[');
    open.append('[');
    first = true;
    return this;
  }

  /** Starts a member: the next value written is its value. */
  Json key(String name) {
    comma();
    string(name);
    out.append(':');
    first = true;
    return this;
  }

  Json value(String s) {
    comma();
    if (s == null) {
      out.append("null");
    } else {
      string(s);
    }
    first = false;
    return this;
  }

  Json value(long n) {
    comma();
    out.append(n);
    first = false;
    return this;
  }

  Json value(double d) {
    comma();
    out.append(Double.isFinite(d) ? Double.toString(d) : "null");
    first = false;
    return this;
  }

  Json value(boolean b) {
    comma();
    out.append(b);
    first = false;
    return this;
  }

  Json field(String name, String s) {
    return key(name).value(s);
  }

  Json field(String name, long n) {
    return key(name).value(n);
  }

  Json field(String name, double d) {
    return key(name).value(d);
  }

  Json field(String name, boolean b) {
    return key(name).value(b);
  }

  private void comma() {
    if (!first) {
      out.append(',');
    }
    first = false;
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c)); // never closes a script on a page
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
