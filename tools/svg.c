/*  svg.c - the bench's charts: axes from 0, lines, bars, points and marks */
#include "svg.h"

#include <assert.h>
#include <math.h>

void
svg_axis (double max, double *top, double *step)
{
    if (!(max > 0) || !isfinite (max))
        max = 1;
    double raw = max / SVG_TICKS;
    double power = pow (10, floor (log10 (raw)));
    double f = raw / power;
    *step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * power;
    *top = ceil (max / *step - 1e-9) * *step;
}

//  Decimals a tick label needs for step (0.25 needs two)
static int
s_decimals (double step)
{
    int d = 0;
    for (double scaled = step; d < 6 && fabs (scaled - round (scaled)) > 1e-6 * scaled; scaled *= 10)
        d++;
    return d;
}

void
svg_escape (FILE *out, const char *text)
{
    for (const char *c = text ? text : ""; *c; c++)
        switch (*c) {
            case '<': fputs ("&lt;", out); break;
            case '>': fputs ("&gt;", out); break;
            case '&': fputs ("&amp;", out); break;
            case '"': fputs ("&quot;", out); break;
            case '\'': fputs ("&#39;", out); break;
            default: fputc (*c, out);
        }
}

double
svg_chart_x (const svg_chart_t *self, double v)
{
    return self->left + v / self->x_top * (self->right - self->left);
}

double
svg_chart_y (const svg_chart_t *self, double v)
{
    return self->bottom - v / self->y_top * (self->bottom - self->top);
}

void
svg_chart_begin (svg_chart_t *self, FILE *out, bool standalone, int width, int height, const char *title,
                 double x_max, double y_max, const char *x_title, const char *y_title)
{
    assert (self && out && width > SVG_LEFT + SVG_RIGHT && height > SVG_TOP + SVG_BOTTOM);
    *self = (svg_chart_t) { .out = out, .width = width, .height = height, .left = SVG_LEFT,
                            .right = width - SVG_RIGHT, .top = SVG_TOP, .bottom = height - SVG_BOTTOM };
    svg_axis (x_max, &self->x_top, &self->x_step);
    svg_axis (y_max, &self->y_top, &self->y_step);

    if (standalone)
        fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
             width, height, width, height);
    fprintf (out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
    fprintf (out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", width / 2);
    svg_escape (out, title);
    fprintf (out, "</text>\n");

    //  grid, ticks and their labels; the loops run to half a step past
    //  the top so that rounding cannot drop the last tick
    double left = self->left, right = self->right, top = self->top, bottom = self->bottom;
    double x_step = self->x_step, y_step = self->y_step;
    fprintf (out, "<g class=\"x-ticks\" stroke=\"#ddd\">\n");
    for (double v = 0; v <= self->x_top + x_step / 2; v += x_step)
        fprintf (out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                 svg_chart_x (self, v), top, svg_chart_x (self, v), bottom + 5);
    fprintf (out, "</g>\n<g class=\"x-labels\" text-anchor=\"middle\">\n");
    for (double v = 0; v <= self->x_top + x_step / 2; v += x_step)
        fprintf (out, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", svg_chart_x (self, v), bottom + 19,
                 s_decimals (x_step), v);
    fprintf (out, "</g>\n<g class=\"y-ticks\" stroke=\"#ddd\">\n");
    for (double v = 0; v <= self->y_top + y_step / 2; v += y_step)
        fprintf (out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                 left - 5, svg_chart_y (self, v), right, svg_chart_y (self, v));
    fprintf (out, "</g>\n<g class=\"y-labels\" text-anchor=\"end\">\n");
    for (double v = 0; v <= self->y_top + y_step / 2; v += y_step)
        fprintf (out, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", left - 8, svg_chart_y (self, v) + 4,
                 s_decimals (y_step), v);
    fprintf (out, "</g>\n");
    fprintf (out, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"black\"/>\n",
             left, top, bottom, right);
    fprintf (out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (left + right) / 2, height - 14);
    svg_escape (out, x_title);
    fprintf (out, "</text>\n<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">",
             (top + bottom) / 2);
    svg_escape (out, y_title);
    fprintf (out, "</text>\n");
}

void
svg_chart_polyline (svg_chart_t *self, const char *cls, const char *colour, const char *dash,
                    const double *x, const double *y, size_t n)
{
    fprintf (self->out, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"", cls, colour);
    if (dash)
        fprintf (self->out, " stroke-dasharray=\"%s\"", dash);
    fprintf (self->out, " points=\"");
    for (size_t k = 0; k < n; k++)
        fprintf (self->out, "%s%.1f,%.1f", k ? " " : "", svg_chart_x (self, x [k]), svg_chart_y (self, y [k]));
    fprintf (self->out, "\"/>\n");
}

//  <title>tip</title>, or nothing
static void
s_tip (FILE *out, const char *tip)
{
    if (tip) {
        fputs ("<title>", out);
        svg_escape (out, tip);
        fputs ("</title>", out);
    }
}

void
svg_chart_bar (svg_chart_t *self, const char *cls, const char *colour, double x0, double x1, double y,
               const char *tip)
{
    double left = svg_chart_x (self, x0), right = svg_chart_x (self, x1);
    double top = svg_chart_y (self, y), bottom = svg_chart_y (self, 0);
    fprintf (self->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
             cls, left, top, right - left, bottom - top, colour);
    s_tip (self->out, tip);
    fprintf (self->out, "</rect>\n");
}

void
svg_chart_point (svg_chart_t *self, const char *cls, svg_shape_t shape, const char *colour, double x,
                 double y, const char *tip)
{
    double cx = svg_chart_x (self, x), cy = svg_chart_y (self, y);
    if (shape == SVG_SQUARE) {
        fprintf (self->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\">",
                 cls, cx - 4, cy - 4, colour);
        s_tip (self->out, tip);
        fprintf (self->out, "</rect>\n");
    }
    else {
        fprintf (self->out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">",
                 cls, cx, cy, colour);
        s_tip (self->out, tip);
        fprintf (self->out, "</circle>\n");
    }
}

void
svg_chart_label (svg_chart_t *self, const char *cls, double x, double y, const char *text)
{
    fprintf (self->out, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
                        "fill=\"#555\">", cls, svg_chart_x (self, x), svg_chart_y (self, y) - 9);
    svg_escape (self->out, text);
    fprintf (self->out, "</text>\n");
}

void
svg_chart_hline (svg_chart_t *self, const char *cls, const char *colour, double y, const char *label)
{
    double py = svg_chart_y (self, y);
    fprintf (self->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-dasharray=\"6 4\"/>\n", cls, self->left, py, self->right, py, colour);
    fprintf (self->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">", self->right - 4,
             py - 5, colour);
    svg_escape (self->out, label);
    fprintf (self->out, "</text>\n");
}

void
svg_chart_vline (svg_chart_t *self, const char *cls, const char *colour, double x, const char *label, int row)
{
    double px = svg_chart_x (self, x);
    fprintf (self->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-dasharray=\"6 4\"/>\n", cls, px, self->top, px, self->bottom, colour);
    //  the label to the left of a line in the right half, so that it
    //  stays inside the picture
    bool right_half = px > (self->left + self->right) / 2;
    //  a white halo under the letters: legible across bars and other marks
    fprintf (self->out, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\" "
                        "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">", cls,
             right_half ? px - 4 : px + 4, self->top + 12 + 14 * row, right_half ? "end" : "start", colour);
    svg_escape (self->out, label);
    fprintf (self->out, "</text>\n");
}

void
svg_chart_note (svg_chart_t *self, const char *text)
{
    fprintf (self->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
             (self->left + self->right) / 2, (self->top + self->bottom) / 2);
    svg_escape (self->out, text);
    fprintf (self->out, "</text>\n");
}

void
svg_chart_legend (svg_chart_t *self, const svg_key_t *keys, size_t n)
{
    FILE *out = self->out;
    double lx = self->left + 14, ly = self->top + 14;
    fprintf (out, "<g class=\"legend\">\n");
    for (size_t k = 0; k < n; k++) {
        double cy = ly + 18 * (double) k;
        const char *colour = keys [k].colour ? keys [k].colour : "#555";
        switch (keys [k].shape) {
            case SVG_CIRCLE:
                fprintf (out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", lx, cy, colour);
                break;
            case SVG_SQUARE:
                fprintf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"/>",
                         lx - 4, cy - 4, colour);
                break;
            case SVG_LINE:
                fprintf (out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                              "stroke-width=\"2\"%s%s%s/>", lx - 8, cy, lx + 6, cy, colour,
                         keys [k].dash ? " stroke-dasharray=\"" : "", keys [k].dash ? keys [k].dash : "",
                         keys [k].dash ? "\"" : "");
                break;
            case SVG_BAR:
                fprintf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"8\" fill=\"%s\"/>",
                         lx - 6, cy - 4, colour);
                break;
            case SVG_NONE:
                break;
        }
        if (keys [k].shape == SVG_NONE)
            fprintf (out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">", lx - 4, cy + 4, colour);
        else
            fprintf (out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 10, cy + 4);
        svg_escape (out, keys [k].label);
        fprintf (out, "</text>\n");
    }
    fprintf (out, "</g>\n");
}

int
svg_chart_end (svg_chart_t *self)
{
    fprintf (self->out, "</svg>\n");
    return ferror (self->out) ? -1 : 0;
}
