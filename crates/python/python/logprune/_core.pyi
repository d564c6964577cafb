"""Type stubs of the Rust extension ``logprune._core`` (use the package ``logprune``)."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class LogpruneError(Exception): ...
class MemoryBudgetError(LogpruneError): ...
class UndecomposableError(LogpruneError): ...
class NotWithinAccuracyError(LogpruneError): ...
class TicketError(LogpruneError): ...
class VerificationError(LogpruneError): ...

ProgressCallback = Callable[[str, int, int], Any]

def bounds(
    widths: Sequence[int],
    eps: float,
    delta: float,
    w_max: float,
    f_max: float,
    no_norm_assumption: bool,
    max_width_norm: bool,
    norms: Optional[Sequence[float]],
) -> Dict[str, Any]: ...

class Target:
    @staticmethod
    def from_safetensors(data: bytes, hidden_activation: str, output_activation: str) -> Target: ...
    @staticmethod
    def from_tensors(
        tensors: Sequence[Tuple[str, npt.NDArray[np.float64]]],
        hidden_activation: str,
        output_activation: str,
    ) -> Target: ...
    @staticmethod
    def from_onnx(data: bytes) -> Target: ...
    @property
    def is_graph(self) -> bool: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def widths(self) -> List[int]: ...
    @property
    def activations(self) -> List[str]: ...
    @property
    def has_bias(self) -> bool: ...
    def forward(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...

def prune(
    target: Target,
    *,
    eps: Optional[float] = None,
    weight_tolerance: Optional[float] = None,
    input_box: Optional[Tuple[float, float]] = None,
    inputs: Optional[npt.NDArray[np.float64]] = None,
    delta: float = 0.01,
    construction: str = "per-weight",
    solver: str = "golden-ratio",
    distribution: str = "hyperbolic",
    dist_scale: Optional[float] = None,
    tolerance_rule: str = "recurrence",
    compare_rules: bool = False,
    generator: str = "ars-v3",
    seed: int = 0,
    neurons_per_weight: Optional[int] = None,
    neurons_per_input: Optional[int] = None,
    width_scale: float = 1.0,
    max_memory: Optional[int] = None,
    search_width: bool = False,
    threads: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    store_weights: bool = False,
) -> Ticket: ...

class Ticket:
    @staticmethod
    def from_bytes(data: bytes) -> Ticket: ...
    def to_bytes(self, store_weights: Optional[bool] = None) -> bytes: ...
    @property
    def form(self) -> str: ...
    @property
    def report_json(self) -> Optional[str]: ...
    @property
    def spec_json(self) -> str: ...
    @property
    def input_width(self) -> int: ...
    @property
    def output_width(self) -> int: ...
    @property
    def bias_unit(self) -> bool: ...
    @property
    def is_graph(self) -> bool: ...
    @property
    def kept_neurons(self) -> List[int]: ...
    @property
    def kept_edges(self) -> List[int]: ...
    def forward(self, x: npt.NDArray[np.float64], virtual: bool = False) -> npt.NDArray[np.float64]: ...
    def virtual_weights(self) -> List[Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]: ...
    def dense_state_dict(self) -> List[Tuple[str, npt.NDArray[np.float64]]]: ...
    def layers(self) -> List[Dict[str, Any]]: ...
    def verify(
        self,
        target: Target,
        *,
        input_box: Optional[Tuple[float, float]] = None,
        inputs: Optional[npt.NDArray[np.float64]] = None,
        threads: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> str: ...
