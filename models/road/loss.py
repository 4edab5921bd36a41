"""YOLOv8-style detection loss for the road model: task-aligned assigner
(top-10 anchors per object by score^0.5 * CIoU^6, centres inside the box),
BCE class loss against the alignment-scaled targets, CIoU + DFL box loss.
Gains 7.5 (box), 0.5 (class), 1.5 (DFL) as in YOLOv8.
"""
import math

import torch
import torch.nn.functional as F


def ciou(b1, b2, eps=1e-7):
    """Complete IoU of x1y1x2y2 boxes, broadcasting over leading dims."""
    (x1, y1, x2, y2), (u1, v1, u2, v2) = b1.unbind(-1), b2.unbind(-1)
    w1, h1 = x2 - x1, (y2 - y1).clamp(min=eps)
    w2, h2 = u2 - u1, (v2 - v1).clamp(min=eps)
    inter = (torch.min(x2, u2) - torch.max(x1, u1)).clamp(0) * \
            (torch.min(y2, v2) - torch.max(y1, v1)).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(x2, u2) - torch.min(x1, u1)
    ch = torch.max(y2, v2) - torch.min(y1, v1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((u1 + u2 - x1 - x2) ** 2 + (v1 + v2 - y1 - y2) ** 2) / 4
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def anchors_for(feats, strides):
    """Cell-centre anchor points (grid units) and per-anchor stride."""
    points, stride = [], []
    for f, s in zip(feats, strides):
        h, w = f.shape[2:]
        sy, sx = torch.meshgrid(torch.arange(h, dtype=torch.float) + 0.5,
                                torch.arange(w, dtype=torch.float) + 0.5, indexing="ij")
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride.append(torch.full((h * w, 1), float(s)))
    return torch.cat(points), torch.cat(stride)


@torch.no_grad()
def assign(scores, boxes, points, labels, gt, gt_mask, topk=10, alpha=0.5, beta=6.0, eps=1e-9):
    """Task-aligned assignment.
    scores [B,N,C] sigmoid, boxes [B,N,4] px, points [N,2] px,
    labels [B,M] long, gt [B,M,4] px, gt_mask [B,M] bool.
    Returns target boxes [B,N,4] px, target scores [B,N,C], fg mask [B,N]."""
    b, n, c = scores.shape
    m = gt.shape[1]
    if m == 0:
        return torch.zeros_like(boxes), torch.zeros_like(scores), torch.zeros(b, n, dtype=torch.bool)
    lt = points[None, None] - gt[:, :, None, :2]
    rb = gt[:, :, None, 2:] - points[None, None]
    inside = torch.cat((lt, rb), -1).amin(-1) > eps                     # B,M,N
    valid = inside & gt_mask[:, :, None]
    cls_score = scores.permute(0, 2, 1).gather(1, labels[:, :, None].expand(-1, -1, n))
    overlaps = torch.where(valid, ciou(gt[:, :, None, :], boxes[:, None, :, :]).clamp(0),
                           torch.zeros(()))
    align = cls_score.pow(alpha) * overlaps.pow(beta) * valid
    top = align.topk(min(topk, n), dim=-1).indices
    chosen = torch.zeros_like(align).scatter_(-1, top, 1.0).bool()
    pos = chosen & valid                                                # B,M,N
    multi = pos.sum(1) > 1
    if multi.any():
        best = F.one_hot(overlaps.argmax(1), m).permute(0, 2, 1).bool()
        pos = torch.where(multi[:, None, :], best, pos)
    fg = pos.any(1)
    idx = pos.float().argmax(1)                                          # B,N
    t_labels = labels.gather(1, idx)
    t_boxes = gt.gather(1, idx[..., None].expand(-1, -1, 4))
    t_scores = F.one_hot(t_labels, c).float() * fg[..., None]
    align = align * pos
    norm = (align * (overlaps * pos).amax(-1, keepdim=True) /
            (align.amax(-1, keepdim=True) + eps)).amax(1)
    return t_boxes, t_scores * norm[..., None], fg


class DetectionLoss:
    def __init__(self, nc, reg_max, strides, box=7.5, cls=0.5, dfl=1.5):
        self.nc, self.reg_max, self.strides = nc, reg_max, strides
        self.gains = (box, cls, dfl)
        self.proj = torch.arange(reg_max, dtype=torch.float)

    def __call__(self, feats, targets):
        """feats: per-level raw maps [B, 4*reg_max+nc, H, W]; targets: list
        (one per image) of float tensors [K,5] = cls, x1, y1, x2, y2 in input px.
        Returns total loss (scaled by batch size) and the three parts."""
        b = feats[0].shape[0]
        x = torch.cat([f.flatten(2) for f in feats], 2).permute(0, 2, 1)   # B,N,no
        dist, logits = x.split((4 * self.reg_max, self.nc), -1)
        points, stride = anchors_for(feats, self.strides)
        m = max((len(t) for t in targets), default=0)
        labels = torch.zeros(b, m, dtype=torch.long)
        gt = torch.zeros(b, m, 4)
        gt_mask = torch.zeros(b, m, dtype=torch.bool)
        for i, t in enumerate(targets):
            if len(t):
                labels[i, :len(t)] = t[:, 0].long()
                gt[i, :len(t)] = t[:, 1:5]
                gt_mask[i, :len(t)] = True
        ltrb = dist.view(b, -1, 4, self.reg_max).softmax(-1) @ self.proj  # grid units
        pred = torch.cat((points - ltrb[..., :2], points + ltrb[..., 2:]), -1)
        t_boxes, t_scores, fg = assign(logits.detach().sigmoid(), (pred.detach() * stride),
                                       points * stride, labels, gt, gt_mask)
        score_sum = t_scores.sum().clamp(min=1.0)
        loss_cls = F.binary_cross_entropy_with_logits(logits, t_scores, reduction="none").sum() / score_sum
        loss_box = torch.zeros(())
        loss_dfl = torch.zeros(())
        if fg.any():
            t_boxes = t_boxes / stride
            w = t_scores.sum(-1)[fg][:, None]
            iou = ciou(pred[fg], t_boxes[fg])[:, None]
            loss_box = ((1.0 - iou) * w).sum() / score_sum
            p = points[None].expand(b, -1, -1)[fg]
            tb = t_boxes[fg]
            target = torch.cat((p - tb[:, :2], tb[:, 2:] - p), -1).clamp(0, self.reg_max - 1 - 0.01)
            lo = target.long()
            wl = (lo + 1).float() - target
            logit = dist[fg].view(-1, self.reg_max)
            ce_lo = F.cross_entropy(logit, lo.view(-1), reduction="none").view(lo.shape)
            ce_hi = F.cross_entropy(logit, (lo + 1).view(-1), reduction="none").view(lo.shape)
            loss_dfl = (((ce_lo * wl + ce_hi * (1 - wl)).mean(-1, keepdim=True)) * w).sum() / score_sum
        parts = torch.stack((loss_box * self.gains[0], loss_cls * self.gains[1], loss_dfl * self.gains[2]))
        return parts.sum() * b, parts.detach()
