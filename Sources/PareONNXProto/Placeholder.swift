// Placeholder until scripts/gen-onnx-proto.sh generates onnx.pb.swift.
