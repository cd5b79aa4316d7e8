//! Where a plugin's error points when the plugin gave no location.
//!
//! Some plugins throw errors that name the place only in words: Tailwind's CSS parser says
//! "Missing closing } at .card", its `@apply` "Cannot apply unknown utility class `p-13`".
//! Vite shows such an error with the file alone; hotloop finds the source text the message
//! quotes (a `backticked`, 'quoted' or "quoted" fragment, or what follows a last " at ") in
//! the text the plugin was given, and points at its first occurrence that stands alone (not
//! inside a longer name), so the overlay's code frame shows the place. A message that quotes
//! nothing found in the text keeps no place (the caller's line 1).

/// The 1-based line and column of the first source fragment `message` quotes that `text`
/// holds, trying the fragments in the order they appear in the message (then the " at "
/// tail).
pub(super) fn place_from_message(message: &str, text: &str) -> Option<(u32, u32)> {
    fragments(message)
        .into_iter()
        .find_map(|fragment| first_standalone(text, fragment))
        .map(|offset| line_and_column(text, offset))
}

/// The 1-based line and column a plugin's code frame marks (the caret under a line of
/// `text`, Babel's `> 12 |` or @vue/shared's `12 |`), when that line is `text`'s line of that
/// number: the frame of a `<script setup>` error is the file's, its `loc` the block's
/// (plugin-vue: line 4 of the block, line 12 of the file). A mark past the end of its line
/// that goes on under the next one is @vue/shared's frame of a position at a line's start
/// (compiler-sfc marks `pos..pos + 1` from the line break before it): the next line's mark is
/// the place, as the error's own `(3:0)` says.
pub(super) fn place_from_frame(frame: &str, text: &str) -> Option<(u32, u32)> {
    let lines: Vec<&str> = frame.lines().collect();
    let is_caret_line = |l: &str| {
        l.split_once('|').is_some_and(|(gutter, marks)| {
            gutter.trim().is_empty() && marks.trim_start().starts_with('^')
        })
    };
    let caret_at = lines.iter().position(|l| is_caret_line(l))?;
    let (number, column, line_len) = marked_place(&lines, caret_at, text)?;
    if column > line_len
        && let Some(next) = lines
            .get(caret_at + 2)
            .filter(|l| is_caret_line(l))
            .and_then(|_| marked_place(&lines, caret_at + 2, text))
            .filter(|&(next_number, ..)| next_number == number + 1)
    {
        return Some((u32::try_from(next.0).ok()?, u32::try_from(next.1).ok()?));
    }
    Some((u32::try_from(number).ok()?, u32::try_from(column).ok()?))
}

/// The place the caret line `caret_at` of a frame marks in `text`: its line number, 1-based
/// column, and the length of that line of `text`.
fn marked_place(lines: &[&str], caret_at: usize, text: &str) -> Option<(usize, usize, usize)> {
    let marked = *lines.get(caret_at.checked_sub(1)?)?;
    let (gutter, code) = marked.split_once('|')?;
    let number: usize = gutter.trim().trim_start_matches('>').trim().parse().ok()?;
    let source = text.lines().nth(number.checked_sub(1)?)?;
    // The frame puts one or two spaces after the `|`: the rest is the source line.
    let pad = code
        .len()
        .checked_sub(source.len())
        .filter(|_| code.ends_with(source))?;
    let caret_line = lines[caret_at];
    let pipe = caret_line.find('|')?;
    let caret = caret_line.find('^')?;
    let column = caret.checked_sub(pipe + 1 + pad)? + 1;
    Some((number, column, source.chars().count()))
}

/// Fragments shorter than this are too common to point anywhere (`a`, `}`).
const MIN_FRAGMENT: usize = 2;
/// Longer ones are sentences, not source text.
const MAX_FRAGMENT: usize = 200;

fn fragments(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for quote in ['`', '\'', '"'] {
        let mut rest = message;
        while let Some(start) = rest.find(quote) {
            let after = &rest[start + 1..];
            let Some(end) = after.find(quote) else { break };
            out.push(&after[..end]);
            rest = &after[end + 1..];
        }
    }
    if let Some(at) = message.rfind(" at ") {
        // "... at .card" or "... at .card (line 3)": up to the end or an opening parenthesis.
        let tail = &message[at + 4..];
        out.push(
            tail.split(" (")
                .next()
                .unwrap_or(tail)
                .trim_end_matches(['.', ':']),
        );
    }
    out.into_iter()
        .map(str::trim)
        .filter(|f| (MIN_FRAGMENT..=MAX_FRAGMENT).contains(&f.len()) && !f.contains('\n'))
        .collect()
}

/// The byte offset of `fragment`'s first occurrence in `text` not inside a longer name
/// (`.card` is not found in `.cards`; `p-13` not in `mp-13`).
fn first_standalone(text: &str, fragment: &str) -> Option<usize> {
    let name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut from = 0;
    while let Some(found) = text[from..].find(fragment) {
        let start = from + found;
        let end = start + fragment.len();
        let before_ok = !fragment.starts_with(name_char)
            || !text[..start].chars().next_back().is_some_and(name_char);
        let after_ok =
            !fragment.ends_with(name_char) || !text[end..].chars().next().is_some_and(name_char);
        if before_ok && after_ok {
            return Some(start);
        }
        from = start + fragment.chars().next().map_or(1, char::len_utf8);
    }
    None
}

fn line_and_column(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count();
    (line as u32, column as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_of_the_files_text_places_the_error_on_its_marked_line() {
        let text = "<template>\n  <p>{{ count }}</p>\n</template>\n<script setup>\nimport { ref } from 'vue'\nconst count = ref(0\n</script>\n";
        // @vue/shared's `generateCodeFrame`: no `>`, two spaces after the bar.
        let vue = "5  |  import { ref } from 'vue'\n6  |  const count = ref(0\n   |                     ^\n7  |  </script>";
        assert_eq!(place_from_frame(vue, text), Some((6, 20)));
        // Babel's: `>` on the line, one space.
        let babel = "  5 | import { ref } from 'vue'\n> 6 | const count = ref(0\n    |                    ^\n  7 | </script>";
        assert_eq!(place_from_frame(babel, text), Some((6, 20)));
        // A frame of another text (the block alone, numbered from 1) places nothing.
        let block =
            "1 | import { ref } from 'vue'\n> 2 | const count = ref(0\n    |                    ^";
        assert_eq!(place_from_frame(block, text), None);
    }

    #[test]
    fn a_vue_frame_marking_a_line_break_places_the_error_at_the_next_line() {
        // compiler-sfc's frame of Babel's "(3:0)": marked from the line break before it.
        let text = "<script setup lang=\"ts\">\nconst local = ref(0\nconst label = computed(() => local.value)\n</script>\n";
        let frame = "1  |  <script setup lang=\"ts\">\n2  |  const local = ref(0\n   |                      ^\n3  |  const label = computed(() => local.value)\n   |  ^\n4  |  </script>";
        assert_eq!(place_from_frame(frame, text), Some((3, 1)));
        // A mark past the end of the last line it shows stays there (an unexpected end).
        let at_end = "1  |  <script setup lang=\"ts\">\n2  |  const local = ref(0\n   |                      ^";
        assert_eq!(place_from_frame(at_end, text), Some((2, 21)));
    }

    #[test]
    fn tailwinds_unclosed_rule_points_at_its_selector() {
        let css = "@import \"tailwindcss\";\n\n.cards { color: red; }\n.card {\n  color: red;\n";
        assert_eq!(
            place_from_message("Missing closing } at .card", css),
            Some((4, 1))
        );
    }

    #[test]
    fn a_quoted_fragment_is_found_where_it_stands_alone() {
        let css = ".mp-13 { }\n.x {\n  @apply flex p-13;\n}\n";
        assert_eq!(
            place_from_message("Cannot apply unknown utility class `p-13`", css),
            Some((3, 15))
        );
        assert_eq!(
            place_from_message("Unknown word \"colr\"", "a {\n  colr: red;\n}"),
            Some((2, 3))
        );
    }

    #[test]
    fn a_message_that_quotes_nothing_of_the_text_has_no_place() {
        let css = ".a { color: red; }\n";
        assert_eq!(place_from_message("Unexpected end of input", css), None);
        assert_eq!(place_from_message("Unknown utility `zz-9`", css), None);
        assert_eq!(place_from_message("failed at a", css), None, "too short");
    }

    #[test]
    fn columns_count_characters_after_the_last_newline() {
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("ab", 0), (1, 1));
    }
}
