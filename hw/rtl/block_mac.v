// block_mac.v — the AIE core's int8 block-MAC datapath (SparseAIE, issue 7).
//
// One step multiplies one 8x8 int8 weight block W[co][ci] with a 4x8 int8 activation tile
// X[p][ci] (4 output pixels x 8 input channels) and accumulates into a 4x8 int32 accumulator:
//     ACC[p][co] = (first ? 0 : ACC[p][co]) + sum_ci X[p][ci] * W[co][ci]
// A sequence of steps (first ... last) is one block row of a sparse conv: only the stored
// (non-zero) blocks are issued, which is where block sparsity saves cycles. When a step with
// `last` set has been accumulated, the 4x8 accumulator is offered on the output channel.
// This is the same integer math as accumulate_block() in hw/core/kernels.cpp (one kernel tap,
// 8 output x 8 input channels) for 4 pixels at a time; int32 wraps modulo 2^32.
//
// Bus layout (all little-endian flat vectors, element 0 in the low bits):
//   in_x   [(p*8+ci)*8  +: 8]   X[p][ci]  int8,  p = 0..3, ci = 0..7   (256 bits)
//   in_w   [(co*8+ci)*8 +: 8]   W[co][ci] int8,  co = 0..7             (512 bits)
//   out_acc[(p*8+co)*32 +: 32]  ACC[p][co] int32                        (1024 bits)
// Handshakes are AXI4-Stream style: a beat moves on a rising clk edge where valid && ready;
// a producer keeps valid and data stable until the beat moves. rst_n is synchronous, active low.
//
// Pipeline (2 stages + output register):
//   S1  multiply + 8-input adder tree: the 32 dot products (19-bit signed) are registered
//       together with first/last.
//   S2  accumulate: ACC <= (first ? 0 : ACC) + dot (int32). On a `last` step the new ACC is
//       also copied into the output register and out_valid rises.
// Timing:
//   latency    2 cycles: a step accepted at rising edge t (in_valid && in_ready) has its result
//              (if it is a `last` step) on out_acc with out_valid = 1 right after edge t+1, so
//              the sink can take it at edge t+2.
//   throughput 1 step per cycle when the sink does not stall (in_ready stays 1); N steps take
//              N + 2 cycles from the first accepted step to the last result being taken.
//   backpressure: a non-last step never waits for the output register (ACC is internal); a
//              `last` step waits in S1 while the output register holds an untaken result, and
//              S1 then stalls the input (in_ready = 0). No step is lost or duplicated.
//   in_ready depends combinationally on out_ready (one-deep stall chain, no skid buffer).
//
// BROKEN_DROP_VALID = 1 builds a deliberately wrong variant for the co-simulation tests: the
// `last` step moves into S2 even when the output register is still full, so under backpressure
// an untaken result is overwritten (its valid is dropped). Never use it for anything else.
`default_nettype none

module block_mac #(
    parameter integer BROKEN_DROP_VALID = 0
) (
    input  wire          clk,
    input  wire          rst_n,
    // input channel: one step per beat
    input  wire          in_valid,
    output wire          in_ready,
    input  wire [255:0]  in_x,
    input  wire [511:0]  in_w,
    input  wire          in_first,
    input  wire          in_last,
    // output channel: one 4x8 int32 accumulator per `last` step
    output wire          out_valid,
    input  wire          out_ready,
    output wire [1023:0] out_acc
);
    localparam integer NP = 4;    // output pixels per tile
    localparam integer NC = 8;    // output channels per block
    localparam integer NI = 8;    // input channels per block
    localparam integer DW = 19;   // dot product width: |sum| <= 8 * 128 * 128 = 2^17

    // ---- S1: multiply + adder tree (combinational), then register ----------------------
    wire [NP*NC*DW-1:0] dot_c;

    genvar gp, gc, gi;
    generate
        for (gp = 0; gp < NP; gp = gp + 1) begin : g_pix
            for (gc = 0; gc < NC; gc = gc + 1) begin : g_cout
                wire signed [15:0] prod [0:NI-1];
                for (gi = 0; gi < NI; gi = gi + 1) begin : g_mul
                    wire [7:0] xv = in_x[(gp*NI+gi)*8 +: 8];
                    wire [7:0] wv = in_w[(gc*NI+gi)*8 +: 8];
                    // int8 x int8 fits int16 exactly (-16256 .. 16384)
                    assign prod[gi] = $signed({{8{xv[7]}}, xv}) * $signed({{8{wv[7]}}, wv});
                end
                wire signed [16:0] s1a = {prod[0][15], prod[0]} + {prod[1][15], prod[1]};
                wire signed [16:0] s1b = {prod[2][15], prod[2]} + {prod[3][15], prod[3]};
                wire signed [16:0] s1c = {prod[4][15], prod[4]} + {prod[5][15], prod[5]};
                wire signed [16:0] s1d = {prod[6][15], prod[6]} + {prod[7][15], prod[7]};
                wire signed [17:0] s2a = {s1a[16], s1a} + {s1b[16], s1b};
                wire signed [17:0] s2b = {s1c[16], s1c} + {s1d[16], s1d};
                assign dot_c[(gp*NC+gc)*DW +: DW] = {s2a[17], s2a} + {s2b[17], s2b};
            end
        end
    endgenerate

    reg                 s1_valid;
    reg                 s1_first;
    reg                 s1_last;
    reg [NP*NC*DW-1:0]  s1_dot;

    reg                 out_valid_q;
    reg [NP*NC*32-1:0]  acc_q;
    reg [NP*NC*32-1:0]  out_q;

    // S2 takes the S1 step unless it is a `last` step and the output register is still full.
    wire out_free = !out_valid_q || out_ready;
    wire s2_take  = (BROKEN_DROP_VALID != 0) ? s1_valid
                                             : (s1_valid && (!s1_last || out_free));
    assign in_ready = !s1_valid || s2_take;
    wire in_fire = in_valid && in_ready;

    // ---- S2: accumulate ------------------------------------------------------------------
    wire [NP*NC*32-1:0] acc_next;
    genvar ga;
    generate
        for (ga = 0; ga < NP*NC; ga = ga + 1) begin : g_acc
            wire [DW-1:0] d = s1_dot[ga*DW +: DW];
            assign acc_next[ga*32 +: 32] = (s1_first ? 32'd0 : acc_q[ga*32 +: 32])
                                         + {{(32-DW){d[DW-1]}}, d};
        end
    endgenerate

    // control (reset)
    always @(posedge clk) begin
        if (!rst_n) begin
            s1_valid    <= 1'b0;
            out_valid_q <= 1'b0;
        end else begin
            if (in_ready) s1_valid <= in_valid;
            if (s2_take && s1_last) out_valid_q <= 1'b1;
            else if (out_ready)     out_valid_q <= 1'b0;
        end
    end

    // datapath (no reset: a sequence starts with `first`)
    always @(posedge clk) begin
        if (in_fire) begin
            s1_dot   <= dot_c;
            s1_first <= in_first;
            s1_last  <= in_last;
        end
        if (s2_take) begin
            acc_q <= acc_next;
            if (s1_last) out_q <= acc_next;
        end
    end

    assign out_valid = out_valid_q;
    assign out_acc   = out_q;
endmodule

`default_nettype wire
