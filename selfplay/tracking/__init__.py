"""What a run writes for later reading: metrics, rollouts, TensorBoard, the progress line."""
