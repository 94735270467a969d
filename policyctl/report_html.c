/*
 * report_html.c - the report's JSON document as one HTML page: no script,
 * no external resource (a Content-Security-Policy says so to the browser
 * too), the charts inline SVG.  Every value of the document is in the
 * page, in an element whose data-key is its path in the document
 * ("activity.per_day.3.failures"), so the page can be checked against the
 * JSON by a program.
 *
 * Every string is escaped (& < > " '), the names and hosts of the store
 * above all: a client chose them.  A control character is written as a
 * character reference, so the page holds the same text as the JSON and
 * the browser shows nothing for it.
 */
#include <stdio.h>
#include <string.h>

#include "jsonout.h"
#include "text.h"
#include "report_json.h"

#define PATH_LEN 160

/* s as HTML text or attribute value: the markup characters as entities,
 * C0 controls as character references, and the code points jsonout
 * escapes (C1, the bidirectional controls, which would make a host name
 * read as another) shown as \uXXXX text; a byte that is not UTF-8 as
 * U+FFFD. */
static void
esc(FILE *fp, const char *s)
{
	uint32_t cp;
	size_t n;

	for (; *s != '\0'; s += n) {
		n = text_utf8(s, &cp);
		if (n == 0) {
			fputs("&#xfffd;", fp);
			n = 1;
		} else if (cp == '&') {
			fputs("&amp;", fp);
		} else if (cp == '<') {
			fputs("&lt;", fp);
		} else if (cp == '>') {
			fputs("&gt;", fp);
		} else if (cp == '"') {
			fputs("&quot;", fp);
		} else if (cp == '\'') {
			fputs("&#39;", fp);
		} else if (cp < 0x20) {
			fprintf(fp, "&#x%x;", (unsigned)cp);
		} else if (jsonout_hazard(cp)) {
			fprintf(fp, "\\u%04X", (unsigned)cp);
		} else {
			fwrite(s, 1, n, fp);
		}
	}
}

/* A scalar's text: the string, the number, yes/no, or "-" for null. */
static void
value_text(FILE *fp, const json_t *v)
{
	if (json_is_string(v))
		esc(fp, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(fp, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v))
		fputs("yes", fp);
	else if (json_is_false(v))
		fputs("no", fp);
	else
		fputs("-", fp);
}

static void
join(char *out, const char *path, const char *key)
{
	/* Paths are the document's own keys and indices: short. */
	if (snprintf(out, PATH_LEN, "%s%s%s", path, path[0] ? "." : "", key) >=
	    PATH_LEN)
		out[0] = '\0';
}

static void
join_index(char *out, const char *path, size_t i)
{
	if (snprintf(out, PATH_LEN, "%s.%zu", path, i) >= PATH_LEN)
		out[0] = '\0';
}

/* <TAG data-key="path">value</TAG>; an array's items as spans. */
static void
cell(FILE *fp, const char *tag, const json_t *v, const char *path)
{
	char sub[PATH_LEN];
	size_t i;
	json_t *x;

	fprintf(fp, "<%s", tag);
	if (!json_is_array(v)) {
		fprintf(fp, " data-key=\"%s\">", path);
		value_text(fp, v);
		fprintf(fp, "</%s>", tag);
		return;
	}
	fputc('>', fp);
	json_array_foreach(v, i, x) {
		join_index(sub, path, i);
		fprintf(fp, "<span class=\"flag\" data-key=\"%s\">", sub);
		value_text(fp, x);
		fputs("</span> ", fp);
	}
	fprintf(fp, "</%s>", tag);
}

/* An object's scalars as a two-column table, nested objects below it. */
static void
object_table(FILE *fp, const json_t *obj, const char *path)
{
	char sub[PATH_LEN];
	const char *k;
	json_t *v;

	fputs("<table class=\"kv\">", fp);
	json_object_foreach((json_t *)obj, k, v) {
		if (json_is_object(v) || (json_is_array(v) &&
					  json_is_object(json_array_get(v, 0))))
			continue;
		join(sub, path, k);
		fprintf(fp, "<tr><th>");
		esc(fp, k);
		fputs("</th>", fp);
		cell(fp, "td", v, sub);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* An array of objects as a table, one column per key of its first. */
static void
array_table(FILE *fp, const char *title, const json_t *arr, const char *path)
{
	json_t *first = json_array_get(arr, 0), *row, *v;
	char sub[PATH_LEN], col[PATH_LEN];
	const char *k;
	size_t i;

	fprintf(fp, "<h3>");
	esc(fp, title);
	fprintf(fp, " (%zu)</h3>\n", json_array_size(arr));
	if (first == NULL) {
		fputs("<p class=\"none\">none</p>\n", fp);
		return;
	}
	fputs("<table class=\"list\"><tr>", fp);
	json_object_foreach(first, k, v) {
		fputs("<th>", fp);
		esc(fp, k);
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	json_array_foreach(arr, i, row) {
		join_index(sub, path, i);
		fprintf(fp, "<tr%s>", json_array_size(json_object_get(row,
			"flags")) ? " class=\"flagged\"" : "");
		json_object_foreach(first, k, v) {
			join(col, sub, k);
			cell(fp, "td", json_object_get(row, k), col);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static json_int_t
num(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* Logins and failures per day, as pairs of bars. */
static void
chart_days(FILE *fp, const json_t *days)
{
	size_t n = json_array_size(days), i;
	json_int_t most = 1;
	double w, h;
	json_t *d;

	json_array_foreach(days, i, d) {
		if (num(d, "logins") > most)
			most = num(d, "logins");
		if (num(d, "failures") > most)
			most = num(d, "failures");
	}
	w = 1000.0 / (double)(n ? n : 1);
	fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 1040 240\" role=\"img\" "
		"aria-label=\"logins and failures per day\">"
		"<text x=\"0\" y=\"12\">%lld</text><text x=\"0\" y=\"232\">",
		(long long)most);
	esc(fp, json_string_value(json_object_get(json_array_get(days, 0),
						  "day")));
	fputs("</text><line x1=\"30\" y1=\"210\" x2=\"1035\" y2=\"210\" "
	      "stroke=\"#888\"/>", fp);
	json_array_foreach(days, i, d) {
		const char *day = json_string_value(json_object_get(d, "day"));

		h = 190.0 * (double)num(d, "logins") / (double)most;
		fprintf(fp, "<rect class=\"ok\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>%s: %lld "
			"logins</title></rect>", 32 + w * (double)i,
			210 - h, w * 0.45, h, day,
			(long long)num(d, "logins"));
		h = 190.0 * (double)num(d, "failures") / (double)most;
		fprintf(fp, "<rect class=\"bad\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"><title>%s: %lld "
			"failures</title></rect>", 32 + w * ((double)i + 0.45),
			210 - h, w * 0.45, h, day,
			(long long)num(d, "failures"));
	}
	fputs("<rect class=\"ok\" x=\"800\" y=\"220\" width=\"12\" "
	      "height=\"12\"/><text x=\"816\" y=\"231\">logins</text>"
	      "<rect class=\"bad\" x=\"900\" y=\"220\" width=\"12\" "
	      "height=\"12\"/><text x=\"916\" y=\"231\">failures</text>"
	      "</svg>\n", fp);
}

/* The hosts with the most failures, as horizontal bars. */
static void
chart_top(FILE *fp, const json_t *top)
{
	size_t n = json_array_size(top), i;
	json_int_t most = 1;
	json_t *e;

	if (n == 0)
		return;
	json_array_foreach(top, i, e)
		if (num(e, "count") > most)
			most = num(e, "count");
	fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 1040 %zu\" role=\"img\""
		" aria-label=\"hosts with the most failures\">", 26 * n + 4);
	json_array_foreach(top, i, e) {
		double w = 600.0 * (double)num(e, "count") / (double)most;

		fprintf(fp, "<text x=\"0\" y=\"%zu\">", 26 * i + 18);
		esc(fp, json_string_value(json_object_get(e, "host")));
		fprintf(fp, "</text><rect class=\"bad\" x=\"360\" y=\"%zu\" "
			"width=\"%.1f\" height=\"20\"/><text x=\"%.1f\" "
			"y=\"%zu\">%lld</text>", 26 * i + 4, w, 366 + w,
			26 * i + 18, (long long)num(e, "count"));
	}
	fputs("</svg>\n", fp);
}

static const char style[] =
	"body{font:14px/1.4 sans-serif;margin:2em;color:#222;background:#fff}"
	"h1{font-size:1.6em}h2{border-bottom:2px solid #345;margin-top:2em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;"
	"vertical-align:top}th{background:#eef}table.list{font-size:12px}"
	"tr.flagged td{background:#fff4e0}.flag{background:#fdd;"
	"border-radius:3px;padding:0 4px}.none{color:#777}"
	"svg.chart{width:100%;max-width:1040px;background:#fafafa;"
	"border:1px solid #ddd}svg text{font:12px sans-serif;fill:#333}"
	"rect.ok{fill:#3a7bd5}rect.bad{fill:#d9534f}";

static void
section_activity(FILE *fp, const json_t *act)
{
	const json_t *lists = json_object_get(act, "lists");

	fputs("<h2>What happened</h2>\n", fp);
	object_table(fp, act, "activity");
	fputs("<h3>Logins and failures per day (UTC)</h3>\n", fp);
	chart_days(fp, json_object_get(act, "per_day"));
	fputs("<h3>Top failure sources</h3>\n", fp);
	chart_top(fp, json_object_get(act, "top_failure_hosts"));
	array_table(fp, "Hosts with the most failures",
		    json_object_get(act, "top_failure_hosts"),
		    "activity.top_failure_hosts");
	array_table(fp, "Accounts and unknown names with the most failures "
		    "((unknown:HEX): a name policyd does not know, by its "
		    "pseudonym)",
		    json_object_get(act, "top_failure_accounts"),
		    "activity.top_failure_accounts");
	array_table(fp, "Hosts trying unknown names",
		    json_object_get(act, "top_unknown_name_hosts"),
		    "activity.top_unknown_name_hosts");
	array_table(fp, "Logins by account",
		    json_object_get(act, "logins_by_account"),
		    "activity.logins_by_account");
	array_table(fp, "Logins by host", json_object_get(act, "logins_by_host"),
		    "activity.logins_by_host");
	array_table(fp, "Lockouts", json_object_get(lists, "lockouts"),
		    "activity.lists.lockouts");
	array_table(fp, "Admin actions", json_object_get(lists,
		    "admin_actions"), "activity.lists.admin_actions");
	array_table(fp, "Unusual logins", json_object_get(lists,
		    "unusual_logins"), "activity.lists.unusual_logins");
	array_table(fp, "Per day", json_object_get(act, "per_day"),
		    "activity.per_day");
}

static void
section_health(FILE *fp, const json_t *h)
{
	static const char *const parts[] = { "chain", "seal", "backup" };
	char path[PATH_LEN];

	fputs("<h2>Health</h2>\n", fp);
	object_table(fp, h, "health");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		fprintf(fp, "<h3>%s</h3>\n", parts[i]);
		join(path, "health", parts[i]);
		object_table(fp, json_object_get(h, parts[i]), path);
	}
	array_table(fp, "Configuration keys set in the file (the rest are "
		    "defaults)", json_object_get(h, "config_set_in_file"),
		    "health.config_set_in_file");
}

static int
page(const json_t *doc, FILE *fp)
{
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">"
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'\">"
		"<title>policyd access review</title><style>%s</style>"
		"</head><body>\n<h1>policyd access review</h1>\n", style);
	object_table(fp, doc, "");
	fputs("<h2>Who can log in</h2>\n", fp);
	object_table(fp, json_object_get(doc, "accounts_summary"),
		     "accounts_summary");
	array_table(fp, "Accounts", json_object_get(doc, "accounts"),
		    "accounts");
	section_activity(fp, json_object_get(doc, "activity"));
	section_health(fp, json_object_get(doc, "health"));
	fputs("</body></html>\n", fp);
	return ferror(fp) ? -1 : 0;
}

int
report_html(const struct report *r, FILE *fp)
{
	json_t *doc = report_json(r);
	int rc = doc != NULL ? page(doc, fp) : -1;

	json_decref(doc);
	return rc;
}
