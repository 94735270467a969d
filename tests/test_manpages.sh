#!/bin/sh
# The man pages match the programs.  Every name a user can give the
# programs is taken from the sources or the built programs (never listed
# here) and looked for among the entries of its page, and every page must
# be clean for `mandoc -T lint` (not a message, style included):
# - policyd.conf(5): each key of the table keys[] in policyd/config.c, as
#   an entry in the section (.SH) named after its [section], and each
#   [section] in the list of sections under SYNTAX;
# - pam_policyd(8): each module argument pam_module/args.c accepts, as an
#   entry of OPTIONS;
# - policyd(8): each option of policyd's getopt_long() (short and long)
#   and of its usage text (policyd --help), as an entry of OPTIONS;
# - policyctl(8): each command of policyctl's usage text (policyctl
#   --help) as an entry of COMMANDS, and each flag in it as part of an
#   entry of OPTIONS or COMMANDS.
# An "entry" is the tag of a tagged paragraph (.TP), read from mandoc's
# HTML rendering, so roff escapes (\-, \fB) and fonts do not matter.  Each
# name missing is a FAIL line naming it and the page; a list that comes out
# empty (the source changed shape) fails too.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${POLICYD_BUILD:-$TOP/build/release}
MAN=$TOP/man
T=${POLICYD_TEST_DIR:-}
if [ -z "$T" ]; then
	T=$(mktemp -d "${TMPDIR:-/tmp}/test_manpages.XXXXXX") || exit 2
	trap 'rm -rf "$T"' EXIT
fi
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# nonempty FILE WHAT: a list must not come out empty.
nonempty() {
	if [ ! -s "$1" ]; then
		fail "no $2 found: the extraction no longer matches the source"
		return 1
	fi
	echo "ok: $(wc -l < "$1") $2"
}

if ! command -v mandoc > /dev/null 2>&1; then
	echo "FAIL: mandoc is not installed (make deps)"
	exit 1
fi

# entries PAGE [all]: one line per .TP tag, "SECTION<TAB>TAG", SECTION
# being the enclosing .SH heading (subsections do not count); with "all",
# every piece of text, tags and paragraphs alike.
entries() {
	mandoc -T html -O fragment "$MAN/$1" | tr '\n' ' ' |
		sed -e 's/<h1/\n&/g' -e 's/<h2/\n&/g' -e 's/<dt/\n&/g' \
		    -e 's,</h1>,&\n,g' -e 's,</dt>,&\n,g' |
		awk '
		function text(s) {
			gsub(/<[^>]*>/, "", s)
			gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s)
			gsub(/&quot;/, "\"", s); gsub(/&amp;/, "\\&", s)
			gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
			return s
		}
		/^<h1/ { section = text($0); next }
		/^<dt/ || all { print section "\t" text($0) }' all="${2:+1}"
}

# has_word FILE SECTIONS WORD: WORD, as a whole word, in a tag of one of
# the sections (an extended regular expression matching the whole
# heading).  A WORD ending in "=" may be followed by its value.
has_word() {
	awk -F '\t' -v sec="^($2)\$" -v w="$3" '
	BEGIN { n = length(w); open = substr(w, n) == "=" }
	$1 ~ sec {
		s = " " $2 " "
		while ((i = index(s, w)) > 0) {
			before = substr(s, i - 1, 1)
			after = substr(s, i + n, 1)
			if (before !~ /[A-Za-z0-9_-]/ &&
			    (open || after !~ /[A-Za-z0-9_=-]/))
				exit found = 1
			s = substr(s, i + n)
		}
	}
	END { exit !found }' "$1"
}

# has_phrase FILE SECTIONS PHRASE: PHRASE (words separated by one space)
# at the start of a tag, or after "|" in one, in one of the sections.
has_phrase() {
	awk -F '\t' -v sec="^($2)\$" -v p="$3" '
	$1 ~ sec {
		n = split($2, alt, / *\| */)
		for (i = 1; i <= n; i++) {
			s = alt[i] " "
			if (index(s, p " ") == 1)
				exit found = 1
		}
	}
	END { exit !found }' "$1"
}

for page in policyd.8 policyd.conf.5 policyctl.8 pam_policyd.8; do
	entries "$page" > "$T/$page.entries"
	nonempty "$T/$page.entries" "entries in $page"
done
entries policyd.conf.5 all > "$T/policyd.conf.5.text"

# --- policyd.conf(5): the rows of keys[] in policyd/config.c, from
# "keys[] = {" to "};", each starting { "section", "name", ...  Each row
# has one FIELD(); a row written another way would be missed, so the
# counts of rows and FIELD()s must agree.
awk '
/^static const struct key keys\[\] = \{/ { on = 1; next }
on && /^\};/ { exit }
on {
	fields += gsub(/FIELD\(/, "&")
	while (match($0, /\{ *"[a-z_]+", *"[a-z0-9_]+"/)) {
		row = substr($0, RSTART, RLENGTH)
		gsub(/[{" ]/, "", row)
		split(row, f, ",")
		print f[1], f[2]
		rows++
		$0 = substr($0, RSTART + RLENGTH)
	}
}
END { if (rows != fields) print "MISMATCH", rows " rows, " fields " FIELD()s" }
' "$TOP/policyd/config.c" > "$T/keys"
if grep -q '^MISMATCH' "$T/keys"; then
	fail "policyd/config.c keys[]: $(sed -n 's/^MISMATCH //p' "$T/keys")"
	sed -i '/^MISMATCH/d' "$T/keys"
fi
nonempty "$T/keys" "config keys in policyd/config.c"
while read -r section key; do
	has_word "$T/policyd.conf.5.entries" "\\[$section\\]" "$key" ||
		fail "config key $key of [$section] is not an entry of" \
		     "[$section] in man/policyd.conf.5"
done < "$T/keys"
for section in $(cut -d ' ' -f 1 "$T/keys" | sort -u); do
	grep -q "^\\[$section\\]	" "$T/policyd.conf.5.entries" ||
		fail "[$section] is not a section (.SH) of man/policyd.conf.5"
	has_word "$T/policyd.conf.5.text" SYNTAX "[$section]" ||
		fail "[$section] is not among the sections SYNTAX lists in" \
		     "man/policyd.conf.5"
done

# --- pam_policyd(8): in pam_module/args.c, the words without a value
# (the names[] array of switch_of()), the modes (strcmp(v, "...") in
# mode_of()) and the name= arguments (strncmp(v, "name=", n) in
# parse_value()).  Each of the three must be found.
args=$TOP/pam_module/args.c
awk '/names\[\] = \{/ { on = 1; next } on && /\};/ { exit } on' "$args" |
	grep -o '"[a-z_]*"' | tr -d '"' > "$T/args.switch"
grep -o 'strcmp(v, "[a-z_]*")' "$args" | sed 's/.*"\(.*\)".*/\1/' \
	> "$T/args.mode"
grep -o 'strncmp(v, "[a-z_]*=",' "$args" | sed 's/.*"\(.*\)".*/\1/' \
	> "$T/args.value"
nonempty "$T/args.switch" "module switches in args.c names[]"
nonempty "$T/args.mode" "module modes in args.c mode_of()"
nonempty "$T/args.value" "module name= arguments in args.c parse_value()"
for arg in $(cat "$T/args.switch" "$T/args.mode" "$T/args.value"); do
	has_word "$T/pam_policyd.8.entries" OPTIONS "$arg" ||
		fail "module argument $arg is not an entry of OPTIONS in" \
		     "man/pam_policyd.8"
done

# --- policyd(8): in policyd/main.c, the letters of getopt_long()'s option
# string and the names of its longopts[] table; and every -x or --word of
# the usage text policyd --help prints.
main=$TOP/policyd/main.c
sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' "$main" |
	tr -d ':+' | fold -w 1 | sed 's/^/-/' > "$T/policyd.short"
awk '/longopts\[\] = \{/ { on = 1; next } on && /\};/ { exit } on' "$main" |
	sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",.*/--\1/p' > "$T/policyd.long"
"$B/policyd" --help > "$T/policyd.help" 2>&1 ||
	fail "policyd --help exited $?"
grep -oE '(^|[][ |])--?[A-Za-z][A-Za-z0-9-]*' "$T/policyd.help" |
	sed 's/^[][ |]//' > "$T/policyd.usage"
nonempty "$T/policyd.short" "short options in policyd/main.c getopt_long()"
nonempty "$T/policyd.long" "long options in policyd/main.c longopts[]"
nonempty "$T/policyd.usage" "options in policyd --help"
for opt in $(sort -u "$T/policyd.short" "$T/policyd.long" \
	     "$T/policyd.usage"); do
	has_word "$T/policyd.8.entries" OPTIONS "$opt" ||
		fail "policyd option $opt is not an entry of OPTIONS in" \
		     "man/policyd.8"
done

# --- policyctl(8): policyctl --help.  A command is a line indented by
# two spaces: its leading lower-case words, up to the first other word
# (NAME, [--flag], --flag) or the gap before the description; "a|b|c"
# as the last word gives one command each (self totp enroll|confirm|reset),
# and "cmd X | cmd --flag Y" names cmd once.  The flags are every -x or
# --word in the text.
"$B/policyctl" --help > "$T/policyctl.help" 2>&1 ||
	fail "policyctl --help exited $?"
sed -n 's/^  \([a-z]\)/\1/p' "$T/policyctl.help" | sed 's/   *.*//' |
	awk '{
		cmd = ""
		for (i = 1; i <= NF && $i ~ /^[a-z|]+$/; i++)
			cmd = cmd (cmd == "" ? "" : " ") $i
		if (cmd == "")
			next
		n = split(cmd, w, " ")
		last = w[n]
		sub(/ ?[^ ]*$/, "", cmd)
		m = split(last, alt, "|")
		for (j = 1; j <= m; j++)
			if (alt[j] != "")
				print cmd (cmd == "" ? "" : " ") alt[j]
	}' | sort -u > "$T/policyctl.commands"
grep -oE '(^|[][ |])--?[A-Za-z][A-Za-z0-9-]*' "$T/policyctl.help" |
	sed 's/^[][ |]//' | sort -u > "$T/policyctl.flags"
nonempty "$T/policyctl.commands" "commands in policyctl --help"
nonempty "$T/policyctl.flags" "flags in policyctl --help"
while read -r cmd; do
	has_phrase "$T/policyctl.8.entries" COMMANDS "$cmd" ||
		fail "policyctl command \"$cmd\" is not an entry of COMMANDS" \
		     "in man/policyctl.8"
done < "$T/policyctl.commands"
while read -r flag; do
	has_word "$T/policyctl.8.entries" 'OPTIONS|COMMANDS' "$flag" ||
		fail "policyctl flag $flag is in no entry of OPTIONS or" \
		     "COMMANDS in man/policyctl.8"
done < "$T/policyctl.flags"

# --- mandoc -T lint: not a message, at any level (style included), on
# any page.
for page in "$MAN"/*; do
	mandoc -T lint "$page" > "$T/lint" 2>&1
	if [ -s "$T/lint" ]; then
		fail "mandoc -T lint ${page#"$TOP"/}:"
		sed 's/^/    /' "$T/lint"
	fi
done

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
echo "all names documented, all pages lint-clean"
