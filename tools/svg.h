/*  svg.h - the bench's charts: axes from 0, lines, bars, points and marks
 *
 *  A chart is a plotting area with a linear x and a linear y axis, each
 *  from 0 to a round top (ticks 1, 2, 2.5 or 5 times a power of ten apart),
 *  a grid, tick labels, the axis titles and a title. zchain bench --sweep's
 *  plot (sweep.c) and zchain bench --report's charts (report.c) are drawn
 *  with it, so both read alike. Everything here writes to a stdio stream;
 *  the caller checks ferror once at the end (svg_chart_end does).
 */
#ifndef ZCHAIN_SVG_H_INCLUDED
#define ZCHAIN_SVG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

//  Margins round the plotting area, px: room for tick labels and titles
#define SVG_LEFT 76
#define SVG_RIGHT 24
#define SVG_TOP 44
#define SVG_BOTTOM 58
#define SVG_TICKS 6                     //  about this many intervals per axis

//  One chart being written
typedef struct {
    FILE *out;
    int width, height;                  //  px
    double left, right, top, bottom;    //  the plotting area, px
    double x_top, x_step;               //  the x axis: 0 to x_top, a tick every x_step
    double y_top, y_step;
} svg_chart_t;

//  A marker shape for svg_chart_point and the legend
typedef enum {
    SVG_NONE,                           //  a legend line of text alone
    SVG_CIRCLE,
    SVG_SQUARE,
    SVG_LINE,                           //  a short stroke: a polyline's key
    SVG_BAR                             //  a wide block: a bar chart's key
} svg_shape_t;

//  One line of a legend
typedef struct {
    svg_shape_t shape;
    const char *colour;
    const char *label;
    const char *dash;                   //  SVG_LINE: dashed like its polyline, or NULL
} svg_key_t;

//  The round top and tick step of an axis from 0 that must reach max
//  (max not above 0, or not finite: an axis to 1).
void
    svg_axis (double max, double *top, double *step);

//  Write text with the five characters XML and HTML give meaning to
//  (<, >, &, ", ') escaped. NULL writes nothing.
void
    svg_escape (FILE *out, const char *text);

//  Start a chart of width x height px on out: an <svg> element with axes
//  from 0 to at least x_max and y_max, grid, tick labels, the axis titles
//  and the title (all escaped). standalone: an .svg file of its own (the
//  XML declaration first); otherwise the element alone, to go inside an
//  HTML page.
void
    svg_chart_begin (svg_chart_t *self, FILE *out, bool standalone, int width, int height,
                     const char *title, double x_max, double y_max, const char *x_title,
                     const char *y_title);

//  Where value v of the x (y) axis falls on the picture, px
double
    svg_chart_x (const svg_chart_t *self, double v);
double
    svg_chart_y (const svg_chart_t *self, double v);

//  A line through the n points (x [i], y [i]), in axis units, as a
//  <polyline class="cls">; dash (an SVG stroke-dasharray such as "6 4")
//  for a dashed line, NULL for a solid one.
void
    svg_chart_polyline (svg_chart_t *self, const char *cls, const char *colour, const char *dash,
                        const double *x, const double *y, size_t n);

//  A bar from x0 to x1 (axis units), from 0 up to y, as a <rect class="cls">
//  with tip (when not NULL) as its <title>, escaped.
void
    svg_chart_bar (svg_chart_t *self, const char *cls, const char *colour, double x0, double x1,
                   double y, const char *tip);

//  A marker of shape at (x, y), axis units, class cls, with tip (when not
//  NULL) as its <title>, escaped.
void
    svg_chart_point (svg_chart_t *self, const char *cls, svg_shape_t shape, const char *colour,
                     double x, double y, const char *tip);

//  Small grey text centred above (x, y), axis units: a point's name.
void
    svg_chart_label (svg_chart_t *self, const char *cls, double x, double y, const char *text);

//  A dashed line across the area at y (axis units), as <line class="cls">,
//  with label (escaped) at its right end.
void
    svg_chart_hline (svg_chart_t *self, const char *cls, const char *colour, double y,
                     const char *label);

//  A dashed line up the area at x (axis units), as <line class="cls">,
//  with label (escaped) at its top; row 0, 1, 2... puts the label that
//  many lines lower, so that marks close together stay readable.
void
    svg_chart_vline (svg_chart_t *self, const char *cls, const char *colour, double x,
                     const char *label, int row);

//  A line of text in the middle of the area: why it is empty.
void
    svg_chart_note (svg_chart_t *self, const char *text);

//  The legend, n keys, at the top left of the area.
void
    svg_chart_legend (svg_chart_t *self, const svg_key_t *keys, size_t n);

//  End the chart. 0, or -1 when some write to out failed.
int
    svg_chart_end (svg_chart_t *self);

#endif
