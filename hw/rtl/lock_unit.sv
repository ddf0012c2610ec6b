// lock_unit.sv -- the AIE2 tile lock unit: NLOCKS 6-bit semaphores with acquire-greater-equal /
// release-add semantics (the same as hw/lock/lock_unit.h), two request ports with
// request/grant (valid/ready) handshakes.
//
// A request is taken in the cycle where req_valid && req_ready (ready is the grant):
//   acquire (req_release = 0): granted when value[id] >= req_value; then value[id] -= req_value.
//                              Not granted: ready stays low (the requester waits, valid held).
//   release (req_release = 1): always granted; value[id] += req_value. A sum above 63 is an
//                              overflow: the value is left unchanged and `overflow` latches
//                              (with the lock id in `overflow_id`) until reset.
// Port 0 has priority: within one cycle port 1 sees port 0's effect (a release on port 0 can
// grant an acquire on port 1 in the same cycle). `init_valid` writes one lock's value (phase
// start) and takes effect before both ports. `values` shows every lock (tests, waveforms).
// Timing: grants are combinational from the current values; values update at the clock edge.
module lock_unit #(
    parameter int NLOCKS = 16,
    parameter int ID_W = 4,
    parameter int BROKEN = 0  // test only: acquire needs value > amount (off by one), to prove the tests catch it
) (
    input  logic                  clk,
    input  logic                  rst_n,
    // phase-start initialisation
    input  logic                  init_valid,
    input  logic [ID_W-1:0]       init_id,
    input  logic [5:0]            init_value,
    // port 0
    input  logic                  req0_valid,
    output logic                  req0_ready,
    input  logic                  req0_release,
    input  logic [ID_W-1:0]       req0_id,
    input  logic [5:0]            req0_value,
    // port 1
    input  logic                  req1_valid,
    output logic                  req1_ready,
    input  logic                  req1_release,
    input  logic [ID_W-1:0]       req1_id,
    input  logic [5:0]            req1_value,
    // state
    output logic [NLOCKS*6-1:0]   values,
    output logic                  overflow,
    output logic [ID_W-1:0]       overflow_id
);
  logic [5:0] v_q [NLOCKS];
  logic [5:0] v_init [NLOCKS];
  logic [5:0] v_mid [NLOCKS];
  logic [5:0] v_d [NLOCKS];
  logic ovf0, ovf1;

  logic [5:0] nv0, nv1;

  // Whether a request on a lock holding `cur` is granted.
  function automatic logic grant_of(input logic rel, input logic [5:0] cur, input logic [5:0] amount);
    grant_of = rel || ((BROKEN != 0) ? (cur > amount) : (cur >= amount));
  endfunction

  // A granted request's effect: {overflow, new value}; an overflowing release keeps the value.
  function automatic logic [6:0] apply(input logic rel, input logic [5:0] cur, input logic [5:0] amount);
    logic [6:0] sum;
    sum = {1'b0, cur} + {1'b0, amount};
    if (!rel) apply = {1'b0, cur - amount};
    else if (sum > 7'd63) apply = {1'b1, cur};
    else apply = {1'b0, sum[5:0]};
  endfunction

  always_comb begin
    for (int i = 0; i < NLOCKS; i++) v_init[i] = v_q[i];
    if (init_valid) v_init[init_id] = init_value;

    // port 0
    v_mid = v_init;
    req0_ready = grant_of(req0_release, v_init[req0_id], req0_value);
    {ovf0, nv0} = apply(req0_release, v_init[req0_id], req0_value);
    if (req0_valid && req0_ready) v_mid[req0_id] = nv0;
    else ovf0 = 1'b0;

    // port 1 (sees port 0's effect)
    v_d = v_mid;
    req1_ready = grant_of(req1_release, v_mid[req1_id], req1_value);
    {ovf1, nv1} = apply(req1_release, v_mid[req1_id], req1_value);
    if (req1_valid && req1_ready) v_d[req1_id] = nv1;
    else ovf1 = 1'b0;
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      for (int i = 0; i < NLOCKS; i++) v_q[i] <= 6'd0;
      overflow <= 1'b0;
      overflow_id <= '0;
    end else begin
      for (int i = 0; i < NLOCKS; i++) v_q[i] <= v_d[i];
      if (!overflow && ovf0) begin
        overflow <= 1'b1;
        overflow_id <= req0_id;
      end else if (!overflow && ovf1) begin
        overflow <= 1'b1;
        overflow_id <= req1_id;
      end
    end
  end

  always_comb begin
    for (int i = 0; i < NLOCKS; i++) values[i*6 +: 6] = v_q[i];
  end
endmodule
