// stream_port.v — the input port of a stream connection into an S2MM DMA channel (SparseAIE,
// issue 7): a 32-bit AXI4-Stream FIFO of DEPTH beats between the stream switch and the DMA.
//
// Slave side (from the stream switch): s_tvalid / s_tready / s_tdata / s_tkeep / s_tlast.
// Master side (to the S2MM DMA):       m_tvalid / m_tready / m_tdata / m_tkeep / m_tlast.
// A beat moves on a rising clk edge where valid && ready; producers hold valid and the payload
// until then. tkeep marks the valid bytes of a partial last beat (byte k = bit k); tlast is
// carried through unchanged. rst_n is synchronous, active low.
//
// Timing: first-word fall-through. A beat taken at edge t is on m_* right after edge t (the
// DMA can take it at edge t+1); throughput one beat per cycle in and out at the same time.
// s_tready = the FIFO is not full (it does not depend on m_tready: no pass-through when full).
// `count` is the occupancy in beats (for waveforms).
//
// BROKEN_NO_BACKPRESSURE = 1 builds a deliberately wrong variant for the co-simulation tests:
// s_tready is always 1, so a beat arriving while the FIFO is full overwrites the oldest one.
// Never use it for anything else.
`default_nettype none

module stream_port #(
    parameter integer DEPTH_LOG2 = 2,  // DEPTH = 4 beats
    parameter integer BROKEN_NO_BACKPRESSURE = 0
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  s_tvalid,
    output wire                  s_tready,
    input  wire [31:0]           s_tdata,
    input  wire [3:0]            s_tkeep,
    input  wire                  s_tlast,
    output wire                  m_tvalid,
    input  wire                  m_tready,
    output wire [31:0]           m_tdata,
    output wire [3:0]            m_tkeep,
    output wire                  m_tlast,
    output wire [DEPTH_LOG2:0]   count
);
    localparam integer DEPTH = 1 << DEPTH_LOG2;

    reg [36:0]           mem [0:DEPTH-1];  // {last, keep[3:0], data[31:0]}
    reg [DEPTH_LOG2-1:0] rd_ptr;
    reg [DEPTH_LOG2-1:0] wr_ptr;
    reg [DEPTH_LOG2:0]   used;

    wire full  = used == DEPTH[DEPTH_LOG2:0];
    wire empty = used == {(DEPTH_LOG2 + 1){1'b0}};

    assign s_tready = (BROKEN_NO_BACKPRESSURE != 0) ? 1'b1 : !full;
    assign m_tvalid = !empty;
    assign {m_tlast, m_tkeep, m_tdata} = mem[rd_ptr];
    assign count = used;

    wire push = s_tvalid && s_tready;
    wire pop  = m_tvalid && m_tready;

    always @(posedge clk) begin
        if (!rst_n) begin
            rd_ptr <= {DEPTH_LOG2{1'b0}};
            wr_ptr <= {DEPTH_LOG2{1'b0}};
            used   <= {(DEPTH_LOG2 + 1){1'b0}};
        end else begin
            if (push) begin
                mem[wr_ptr] <= {s_tlast, s_tkeep, s_tdata};
                wr_ptr <= wr_ptr + 1'b1;
            end
            // The broken variant writes over the oldest beat when full: the read side then skips it.
            if (pop || (push && full)) rd_ptr <= rd_ptr + 1'b1;
            if (push && !pop && !full) used <= used + 1'b1;
            else if (pop && !push) used <= used - 1'b1;
        end
    end
endmodule

`default_nettype wire
